/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>

#include "addons-table.h"

#define TO(s) ((s) + 1)
/* Every step that runs something ends the addon when it fails or runs out of time. */
#define ENDS [ADDON_EV_FAILED] = TO(ADDON_BROKEN), [ADDON_EV_TIMEOUT] = TO(ADDON_BROKEN)
/* Each run of the phase starts every addon over: recorded ones are looked at, the
 * others applied (again: server-side apply of the same manifests changes nothing). */
#define STARTS [ADDON_EV_START] = TO(ADDON_NAMESPACE), [ADDON_EV_START_RECORDED] = TO(ADDON_LOOKING)

/* The next step plus one; 0: the event cannot happen in that step. */
static const uint8_t table[_ADDON_STEP_MAX][_ADDON_EVENT_MAX] = {
	[ADDON_PENDING] = { STARTS },
	[ADDON_DONE]    = { STARTS },
	[ADDON_BROKEN]  = { STARTS },
	[ADDON_LOOKING] = {
		[ADDON_EV_OK]      = TO(ADDON_DONE),
		/* Pods come back after a reboot: wait for them as for a new apply. */
		[ADDON_EV_NOT_YET] = TO(ADDON_LOOKING),
		/* Someone deleted a workload: the manifests put it back. */
		[ADDON_EV_MISSING] = TO(ADDON_NAMESPACE),
		ENDS },
	[ADDON_NAMESPACE] = {
		[ADDON_EV_OK] = TO(ADDON_POD_SECURITY), ENDS },
	/* Labelled before anything of the addon's is created, so its pods meet the level. */
	[ADDON_POD_SECURITY] = {
		[ADDON_EV_OK] = TO(ADDON_APPLYING), ENDS },
	[ADDON_APPLYING] = {
		[ADDON_EV_OK] = TO(ADDON_WAITING), ENDS },
	/* Just applied, so a workload not there yet is one the API has not shown yet. */
	[ADDON_WAITING] = {
		[ADDON_EV_OK]      = TO(ADDON_DONE),
		[ADDON_EV_NOT_YET] = TO(ADDON_WAITING),
		[ADDON_EV_MISSING] = TO(ADDON_WAITING),
		ENDS },
};

int addon_transition(AddonStep step, AddonEvent event, AddonStep *ret_next) {
	if (step < 0 || step >= _ADDON_STEP_MAX || event < 0 || event >= _ADDON_EVENT_MAX || !ret_next)
		return -EINVAL;
	if (table[step][event] == 0)
		return -ESTALE;
	*ret_next = (AddonStep) (table[step][event] - 1);
	return 0;
}

static const char *const step_names[_ADDON_STEP_MAX] = {
	[ADDON_PENDING] = "pending", [ADDON_LOOKING] = "looking", [ADDON_NAMESPACE] = "namespace",
	[ADDON_POD_SECURITY] = "pod-security", [ADDON_APPLYING] = "applying", [ADDON_WAITING] = "waiting", [ADDON_DONE] = "available",
	[ADDON_BROKEN] = "failed",
};

static const char *const event_names[_ADDON_EVENT_MAX] = {
	[ADDON_EV_START] = "start", [ADDON_EV_START_RECORDED] = "start-recorded", [ADDON_EV_OK] = "ok",
	[ADDON_EV_NOT_YET] = "not-yet", [ADDON_EV_MISSING] = "missing", [ADDON_EV_FAILED] = "failed",
	[ADDON_EV_TIMEOUT] = "timeout",
};

const char *addon_step_to_string(AddonStep s) {
	return s >= 0 && s < _ADDON_STEP_MAX ? step_names[s] : NULL;
}

const char *addon_event_to_string(AddonEvent e) {
	return e >= 0 && e < _ADDON_EVENT_MAX ? event_names[e] : NULL;
}
