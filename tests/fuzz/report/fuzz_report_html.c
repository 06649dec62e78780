/*
 * libFuzzer target for the MLPS report renderer and its query parser.
 *
 * Input starting with 'Q': four newline-separated fields (tenant, from, to,
 * format) for ys_report_parse_query(). Any other input: a JSON document taken
 * as the evidence object, rendered to HTML. The renderer must survive any
 * shape (missing sections, wrong types, huge strings) and must never let a
 * stored string become markup: since every value is escaped and the template
 * itself has no script, iframe or img tag, none may appear in the output.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_query(const uint8_t *data, size_t size)
{
	char buf[1024], *field[4] = { NULL, NULL, NULL, NULL }, *p, err[128];
	struct ys_report_params params = { 0 };
	enum ys_report_format fmt;
	size_t n = size < sizeof(buf) - 1 ? size : sizeof(buf) - 1;
	int i = 0;

	memcpy(buf, data, n);
	buf[n] = '\0';
	p = buf + 1;
	while (i < 4) {
		char *nl = strchr(p, '\n');

		field[i++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	if (ys_report_parse_query(field[0], field[1], field[2], field[3], 1764000000LL * 1000000,
				  &params, &fmt, err, sizeof(err)) == 0) {
		if (params.from >= params.to)
			abort();
		if (fmt != YS_REPORT_HTML && fmt != YS_REPORT_PDF && fmt != YS_REPORT_JSON)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *ev;
	char *html = NULL;
	size_t len = 0;

	if (size && data[0] == 'Q') {
		fuzz_query(data, size);
		return 0;
	}
	ev = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!ev)
		return 0;
	if (ys_report_render_html(ev, &html, &len) == 0) {
		if (strlen(html) != len)
			abort();
		if (strstr(html, "<script") || strstr(html, "<iframe") || strstr(html, "<img"))
			abort();
		free(html);
	} else if (json_is_object(ev)) {
		abort(); /* any object renders, whatever it holds */
	}
	json_decref(ev);
	return 0;
}
