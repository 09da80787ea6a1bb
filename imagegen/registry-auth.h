/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Registry authentication: docker's token protocol and basic credentials.
 *
 * A registry that wants credentials answers 401 with
 *   WWW-Authenticate: Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull"
 * and the client asks the realm for a token (GET realm?service=...&scope=..., with basic
 * credentials when it has some), reads "token" (or "access_token") from the JSON reply
 * and repeats the request with "Authorization: Bearer <token>". Tokens are kept per
 * registry and scope for the run (until their expires_in, 60 s when not given).
 * "WWW-Authenticate: Basic ..." is answered with the credentials themselves.
 *
 * Credentials come from the optional file named by $KILN_REGISTRY_AUTH, in docker's
 * config.json format: {"auths": {"HOST[:PORT]": {"auth": "base64(user:password)"}}}
 * ("username" and "password" fields are accepted too; keys may carry a scheme and a path,
 * as docker writes "https://index.docker.io/v1/" for Docker Hub). Credentials are never
 * printed, and never sent over plain http except to a loopback host. */

#include <stdbool.h>

#include "fetch-download.h"

typedef struct AuthChallenge {
	char *scheme;       /* lower case: "bearer", "basic", ... */
	char *realm;
	char *service;
	char *scope;
} AuthChallenge;

/* Parse one challenge: a scheme, then comma-separated name=value parameters whose values
 * are tokens or quoted strings (with backslash escapes; commas inside quotes, as in
 * "repository:a:pull,push", are part of the value). Parameter names are case-insensitive;
 * unknown ones are ignored. -EINVAL when malformed. */
int auth_challenge_parse(const char *header, AuthChallenge *ret);
void auth_challenge_done(AuthChallenge *c);

/* The base64 "user:password" for registry (host[:port], "docker.io" for Docker Hub) from
 * the docker config.json at path: 0 and the value, 0 and NULL when the file has none for
 * it, -errno when the file cannot be read or parsed (-EBADMSG). */
int registry_credentials_lookup(const char *path, const char *registry, char **ret_auth);

/* Authorization for one repository of one registry, used as a FetchAuth. */
typedef struct RegistryAuth {
	const FetchOptions *o;
	char *registry;     /* host[:port] as in the reference */
	char *repository;
	char *header;       /* the last Authorization value obtained */
} RegistryAuth;

int registry_auth_init(RegistryAuth *a, const FetchOptions *o, const char *registry, const char *repository);
void registry_auth_done(RegistryAuth *a);
/* The FetchAuth that sends and renews a's credentials. */
FetchAuth registry_auth_fetch_auth(RegistryAuth *a);

/* Forget every cached token (tests; a new run). */
void registry_auth_forget_tokens(void);
