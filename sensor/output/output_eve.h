/*
 * EVE alert formatting (private to the output module). Formats into a
 * caller-owned ys_jbuf; one call per alert, no allocation once the buffer has
 * grown.
 */
#ifndef YS_OUTPUT_EVE_H
#define YS_OUTPUT_EVE_H

#include <stddef.h>

#include "output.h"
#include "output_json.h"
#include "ys_event.h"

/* Payload bytes written per alert at most (base64 grows them by a third). */
#define YS_EVE_MAX_PAYLOAD 65535

struct ys_eve_ctx {
	const struct ys_tenant_map *tenants;
	struct ys_sensor_identity sensor;
	bool include_payload;
};

/* Write AL as one EVE record (no newline) into JB; a fresh UUIDv7 goes to EVENT_ID. */
void ys_eve_format_alert(struct ys_jbuf *jb, const struct ys_alert *al, const struct ys_eve_ctx *cx,
			 char event_id[YS_UUID_STR_LEN]);

#endif /* YS_OUTPUT_EVE_H */
