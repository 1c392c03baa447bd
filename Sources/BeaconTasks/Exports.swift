// The definitions, options, results and JSON values of tasks, without a broker: part of this module's API.
@_exported public import BeaconTasksCore
