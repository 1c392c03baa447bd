#ifndef BEACON_CCURLSHIM_H
#define BEACON_CCURLSHIM_H

#include <curl/curl.h>

/// `curl_easy_setopt` is variadic and cannot be called from Swift: one typed wrapper per argument kind.
CURLcode beacon_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode beacon_curl_setopt_string(CURL *handle, CURLoption option, char const *value);
CURLcode beacon_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode beacon_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode beacon_curl_setopt_read_function(CURL *handle, size_t (*function)(char *, size_t, size_t, void *));

/// `curl_easy_getinfo` is variadic too.
CURLcode beacon_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);

#endif
