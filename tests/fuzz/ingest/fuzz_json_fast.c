/*
 * Differential fuzz target for the ingest's fast alert parser: whatever
 * ys_json_fast_parse() accepts, jansson (with JSON_REJECT_DUPLICATES) must
 * accept too and decode to an equal tree. The fast parser may decline input
 * (return NULL) at will; it may never accept what jansson rejects, nor read it
 * differently.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	json_t *fast, *slow;
	json_error_t err;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* the fast parser's contract */
	fast = ys_json_fast_parse(text, size);
	if (fast) {
		slow = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
		if (!slow || !json_equal(fast, slow))
			abort(); /* accepted what jansson rejects, or read it differently */
		json_decref(slow);
		json_decref(fast);
	}
	free(text);
	return 0;
}
