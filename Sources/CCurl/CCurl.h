// libcurl (Debian libcurl4-openssl-dev), used for SMTP.
#include <curl/curl.h>
