/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fetch-download.h"
#include "fetch-http.h"
#include "macro.h"

int fetch_file(const FetchOptions *o, const char *url, const char *expected_digest,
	       char **ret_digest, char **ret_error) {
	FetchBlob b = { .url = url, .what = url, .digest = expected_digest };

	if (!o || !o->cache_dir || !url || !ret_error)
		return -EINVAL;
	/* Plain files come from anywhere; curl refuses other schemes, but say it clearly. */
	if (!strneq(url, "http://", 7) && !strneq(url, "https://", 8))
		return asprintf(ret_error, "%s: only http:// and https:// URLs can be fetched", url) < 0 ? -ENOMEM
			: -EINVAL;
	return fetch_blob(o, &b, ret_digest, ret_error);
}
