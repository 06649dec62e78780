/*
 * HTTP/1.x with OISF libhtp 0.5: libhtp parses each direction's in-order
 * bytes (request line, headers, chunked bodies, gzip/deflate decompression
 * with a nested-layer limit) into transactions; its callbacks collect what
 * libhtp does not keep (raw header bytes, bodies up to the body limits) and
 * mark the transactions that progressed, whose buffers are then added.
 *
 * Buffers built once per side when its headers are complete (one allocation
 * per side of a transaction, never per packet): normalised URI (libhtp's
 * parsed and normalised path + "?" query + "#" fragment, as Suricata builds
 * it), http.header ("Name: value\r\n" lines without Cookie / Set-Cookie),
 * http.header_names ("\r\nName1\r\nName2\r\n\r\n") and http.start (line +
 * headers + "\r\n"). The other buffers point into libhtp's transaction.
 *
 * Transactions are kept (tx auto-destroy off) until both sides are complete
 * and one more call has passed, so buffers and the EVE object stay valid while
 * detection and output run for the packet that completed them.
 */
#include "applayer_int.h"

#include <errno.h>
#include <strings.h>
#include <sys/time.h>

#include <htp/htp.h>

#define YS_HTTP_RAW_HDR_MAX (32 * 1024)
#define YS_HTTP_PENDING_MAX (64 * 1024)
#define YS_HTTP_HDR_PIECES  64 /* http.request_header / response_header buffers per side */
/* Bodies held per flow at once, over all live transactions: pipelined requests that
 * are never answered must not hold YS_APP_MAX_LIVE_TX bodies each at the limit. */
#define YS_HTTP_FLOW_BODY_MIN (1024 * 1024)

enum { P_URI = 0, P_HOST, P_HEADER, P_NAMES, P_START, P_COUNT };

struct piece {
	uint32_t off, len;
};

struct ys_http_side {
	bool hdr_done, body_done, done;
	struct ys_dbuf raw;   /* raw header bytes */
	struct ys_dbuf body;  /* decoded body up to the limit */
	struct ys_dbuf built; /* the pieces below */
	struct piece pc[P_COUNT];
	struct piece *hdr; /* one "Name: value" per header, in built */
	uint16_t nhdr;
};

struct ys_http_tx {
	uint64_t id;
	uint64_t shown_gen; /* ctx->gen of the packet that last presented it */
	bool progressed;
	bool is_post;		     /* POST or PUT: the request body is also file.data */
	struct ys_http_side side[2]; /* 0 request, 1 response */
};

struct ys_http_state {
	htp_connp_t *connp;
	struct ys_applayer_ctx *ctx;
	uint32_t live;
	size_t scan_from; /* first transaction index that may still be alive */
	bool closed[2];
	bool abandon;
	uint64_t last_tx;
	bool have_last;
	uint64_t body_bytes;	/* held in live transactions' bodies */
	struct ys_dbuf pending; /* request bytes libhtp could not take yet (DATA_OTHER) */
};

static struct ys_http_state *state_of(htp_tx_t *tx)
{
	return htp_connp_get_user_data(tx->connp);
}

static struct ys_http_tx *txr_of(htp_tx_t *tx)
{
	struct ys_http_tx *r = htp_tx_get_user_data(tx);
	struct ys_http_state *s;

	if (r)
		return r;
	s = state_of(tx);
	if (!s || s->live >= YS_APP_MAX_LIVE_TX) {
		if (s && !s->abandon) {
			s->abandon = true;
			s->ctx->st.tx_limit_hits++;
		}
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->id = tx->index;
	htp_tx_set_user_data(tx, r);
	s->live++;
	s->ctx->st.http_tx++;
	return r;
}

static void txr_free(struct ys_http_state *s, struct ys_http_tx *r)
{
	if (!r)
		return;
	if (s) {
		uint64_t held = (uint64_t)r->side[0].body.len + r->side[1].body.len;

		s->body_bytes -= held < s->body_bytes ? held : s->body_bytes;
	}
	for (int i = 0; i < 2; i++) {
		ys_dbuf_free(&r->side[i].raw);
		ys_dbuf_free(&r->side[i].body);
		ys_dbuf_free(&r->side[i].built);
		free(r->side[i].hdr);
	}
	free(r);
}

static int put(struct ys_dbuf *b, const void *d, size_t n)
{
	return ys_dbuf_append(b, d, n, UINT32_MAX) == (int)n ? 0 : -ENOMEM;
}

static int put_bstr(struct ys_dbuf *b, const bstr *s)
{
	return s ? put(b, bstr_ptr(s), bstr_len(s)) : 0;
}

static bool is_cookie(const bstr *name, int side)
{
	const char *c = side == 0 ? "cookie" : "set-cookie";
	size_t n = strlen(c);

	return bstr_len(name) == n && strncasecmp((const char *)bstr_ptr(name), c, n) == 0;
}

/* Build the pieces of one side from its line and header table. */
static void build_side(struct ys_http_side *sd, int side, const bstr *line, htp_table_t *headers,
		       htp_tx_t *tx)
{
	struct ys_dbuf *b = &sd->built;
	size_t n = headers ? htp_table_size(headers) : 0;
	int rc = 0;

	b->len = 0;
	if (side == 0 && tx->parsed_uri && tx->parsed_uri->path) {
		htp_uri_t *u = tx->parsed_uri;

		sd->pc[P_URI].off = b->len;
		rc |= put_bstr(b, u->path);
		if (u->query) {
			rc |= put(b, "?", 1);
			rc |= put_bstr(b, u->query);
		}
		if (u->fragment) {
			rc |= put(b, "#", 1);
			rc |= put_bstr(b, u->fragment);
		}
		sd->pc[P_URI].len = b->len - sd->pc[P_URI].off;
	}
	/* A host with '/' comes from a URI without authority ("CONNECT / HTTP/1.1"): none. */
	if (side == 0 && tx->request_hostname &&
	    !memchr(bstr_ptr(tx->request_hostname), '/', bstr_len(tx->request_hostname))) {
		/* http.host is lower case (libhtp keeps the case it saw). */
		sd->pc[P_HOST].off = b->len;
		rc |= put_bstr(b, tx->request_hostname);
		sd->pc[P_HOST].len = b->len - sd->pc[P_HOST].off;
		for (uint32_t i = 0; rc == 0 && i < sd->pc[P_HOST].len; i++) {
			uint8_t *c = b->p + sd->pc[P_HOST].off + i;

			if (*c >= 'A' && *c <= 'Z')
				*c = (uint8_t)(*c + 32);
		}
	}
	sd->pc[P_HEADER].off = b->len;
	for (size_t i = 0; i < n; i++) {
		htp_header_t *h = htp_table_get_index(headers, i, NULL);

		if (!h || is_cookie(h->name, side))
			continue;
		rc |= put_bstr(b, h->name);
		rc |= put(b, ": ", 2);
		rc |= put_bstr(b, h->value);
		rc |= put(b, "\r\n", 2);
	}
	sd->pc[P_HEADER].len = b->len - sd->pc[P_HEADER].off;
	sd->pc[P_NAMES].off = b->len;
	rc |= put(b, "\r\n", 2);
	for (size_t i = 0; i < n; i++) {
		htp_header_t *h = htp_table_get_index(headers, i, NULL);

		if (!h)
			continue;
		rc |= put_bstr(b, h->name);
		rc |= put(b, "\r\n", 2);
	}
	rc |= put(b, "\r\n", 2);
	sd->pc[P_NAMES].len = b->len - sd->pc[P_NAMES].off;
	/* The start holds every header line; the per-line buffers (at most
	 * YS_HTTP_HDR_PIECES) are those lines without their CRLF, not copies. */
	if (n && !sd->hdr)
		sd->hdr = calloc(n < YS_HTTP_HDR_PIECES ? n : YS_HTTP_HDR_PIECES, sizeof(*sd->hdr));
	sd->nhdr = 0;
	sd->pc[P_START].off = b->len;
	rc |= put_bstr(b, line);
	rc |= put(b, "\r\n", 2);
	for (size_t i = 0; i < n; i++) {
		htp_header_t *h = htp_table_get_index(headers, i, NULL);
		uint32_t off = b->len;

		if (!h)
			continue;
		rc |= put_bstr(b, h->name);
		rc |= put(b, ": ", 2);
		rc |= put_bstr(b, h->value);
		if (sd->hdr && sd->nhdr < YS_HTTP_HDR_PIECES) {
			sd->hdr[sd->nhdr].off = off;
			sd->hdr[sd->nhdr].len = b->len - off;
			sd->nhdr++;
		}
		rc |= put(b, "\r\n", 2);
	}
	rc |= put(b, "\r\n", 2);
	sd->pc[P_START].len = b->len - sd->pc[P_START].off;
	if (rc) {
		memset(sd->pc, 0, sizeof(sd->pc)); /* out of memory: no built buffers */
		sd->nhdr = 0;
	}
}

/* libhtp callbacks */

static int cb_request_start(htp_tx_t *tx)
{
	txr_of(tx);
	return HTP_OK;
}

static int cb_header_data(htp_tx_data_t *d, int side)
{
	struct ys_http_tx *r = txr_of(d->tx);

	if (r && d->data && d->len)
		ys_dbuf_append(&r->side[side].raw, d->data, d->len, YS_HTTP_RAW_HDR_MAX);
	return HTP_OK;
}

static int cb_req_header_data(htp_tx_data_t *d)
{
	return cb_header_data(d, 0);
}

static int cb_res_header_data(htp_tx_data_t *d)
{
	return cb_header_data(d, 1);
}

static int cb_request_headers(htp_tx_t *tx)
{
	struct ys_http_tx *r = txr_of(tx);

	if (!r)
		return HTP_OK;
	r->side[0].hdr_done = true;
	r->progressed = true;
	r->is_post =
		tx->request_method_number == HTP_M_POST || tx->request_method_number == HTP_M_PUT;
	build_side(&r->side[0], 0, tx->request_line, tx->request_headers, tx);
	return HTP_OK;
}

static int cb_response_headers(htp_tx_t *tx)
{
	struct ys_http_tx *r = txr_of(tx);

	if (!r)
		return HTP_OK;
	r->side[1].hdr_done = true;
	r->progressed = true;
	build_side(&r->side[1], 1, tx->response_line, tx->response_headers, tx);
	return HTP_OK;
}

static int cb_body_data(htp_tx_data_t *d, int side)
{
	struct ys_http_tx *r = txr_of(d->tx);
	struct ys_http_state *s = state_of(d->tx);
	uint64_t limit;
	struct ys_http_side *sd;

	if (!r || !s || !d->data || !d->len)
		return HTP_OK;
	sd = &r->side[side];
	if (sd->body_done)
		return HTP_OK;
	limit = side == 0 ? s->ctx->p.request_body_limit : s->ctx->p.response_body_limit;
	{
		uint64_t flow_max =
			2 * (s->ctx->p.request_body_limit + s->ctx->p.response_body_limit);
		uint32_t before = sd->body.len;
		int n;

		if (flow_max < YS_HTTP_FLOW_BODY_MIN)
			flow_max = YS_HTTP_FLOW_BODY_MIN;
		if (s->body_bytes >= flow_max) {
			sd->body_done = true; /* the flow holds enough: present what we have */
			r->progressed = true;
			return HTP_OK;
		}
		n = ys_dbuf_append(&sd->body, d->data, d->len, (size_t)limit);
		if (n > 0)
			s->body_bytes += sd->body.len - before;
	}
	if (sd->body.len >= limit) {
		sd->body_done = true; /* present what we keep now; the rest is not inspected */
		r->progressed = true;
		/* Nothing past the limit is inspected: stop paying for decompressing it.
		 * libhtp then hands the rest over undecoded, which we ignore. */
		if (side == 1)
			d->tx->response_content_encoding_processing = HTP_COMPRESSION_NONE;
	}
	return HTP_OK;
}

static int cb_req_body_data(htp_tx_data_t *d)
{
	return cb_body_data(d, 0);
}

static int cb_res_body_data(htp_tx_data_t *d)
{
	return cb_body_data(d, 1);
}

static int cb_complete(htp_tx_t *tx, int side)
{
	struct ys_http_tx *r = txr_of(tx);

	if (!r)
		return HTP_OK;
	r->side[side].done = true;
	if (r->side[side].body.len)
		r->side[side].body_done = true;
	r->progressed = true;
	return HTP_OK;
}

static int cb_request_complete(htp_tx_t *tx)
{
	return cb_complete(tx, 0);
}

static int cb_response_complete(htp_tx_t *tx)
{
	return cb_complete(tx, 1);
}

void *ys_http_cfg_new(const struct ys_applayer_params *p)
{
	htp_cfg_t *cfg = htp_config_create();

	if (!cfg)
		return NULL;
	htp_config_set_server_personality(cfg, HTP_SERVER_IDS);
	htp_config_set_tx_auto_destroy(cfg, 0);
	htp_config_set_response_decompression(cfg, 1);
	htp_config_set_response_decompression_layer_limit(cfg, p->decompress_layers);
	htp_config_set_compression_bomb_limit(cfg, 1024 * 1024);
	htp_config_set_compression_time_limit(cfg, 100000);
	htp_config_set_lzma_memlimit(cfg, 1024 * 1024);
	htp_config_set_field_limits(cfg, 9000, 18000);
	htp_config_set_number_headers_limit(cfg, 1024);
	htp_config_set_parse_request_cookies(cfg, 0);
	htp_config_set_log_level(cfg, HTP_LOG_ERROR);
	htp_config_register_request_start(cfg, cb_request_start);
	htp_config_register_response_start(cfg, cb_request_start);
	htp_config_register_request_header_data(cfg, cb_req_header_data);
	htp_config_register_response_header_data(cfg, cb_res_header_data);
	htp_config_register_request_headers(cfg, cb_request_headers);
	htp_config_register_response_headers(cfg, cb_response_headers);
	htp_config_register_request_body_data(cfg, cb_req_body_data);
	htp_config_register_response_body_data(cfg, cb_res_body_data);
	htp_config_register_request_complete(cfg, cb_request_complete);
	htp_config_register_response_complete(cfg, cb_response_complete);
	return cfg;
}

void ys_http_cfg_free(void *cfg)
{
	if (cfg)
		htp_config_destroy(cfg);
}

static void *http_new(struct ys_applayer_ctx *ctx, const struct ys_flow *f)
{
	struct ys_http_state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ctx = ctx;
	s->connp = htp_connp_create(ctx->htp_cfg);
	if (!s->connp) {
		free(s);
		return NULL;
	}
	htp_connp_set_user_data(s->connp, s);
	htp_connp_open(s->connp, NULL, f->client_port, NULL, f->server_port, NULL);
	return s;
}

static htp_list_t *txs_of(const struct ys_http_state *s)
{
	htp_conn_t *conn = htp_connp_get_connection(s->connp);

	return conn ? conn->transactions : NULL;
}

static void http_free(void *st)
{
	struct ys_http_state *s = st;
	htp_list_t *l;

	if (!s)
		return;
	l = txs_of(s);
	for (size_t i = 0; l && i < htp_list_size(l); i++) {
		htp_tx_t *tx = htp_list_get(l, i);

		if (tx) {
			txr_free(NULL, htp_tx_get_user_data(tx));
			htp_tx_set_user_data(tx, NULL);
		}
	}
	htp_connp_destroy_all(s->connp);
	ys_dbuf_free(&s->pending);
	free(s);
}

static void add_bstr(struct ys_inspect *in, enum ys_buf_id id, const bstr *b, uint16_t fl,
		     uint64_t tx)
{
	if (b && bstr_len(b))
		ys_inspect_add(in, id, bstr_ptr(b), (uint32_t)bstr_len(b), fl, tx);
}

static void add_hdr(struct ys_inspect *in, enum ys_buf_id id, htp_table_t *t, const char *name,
		    uint16_t fl, uint64_t tx)
{
	htp_header_t *h = t ? htp_table_get_c(t, name) : NULL;

	if (h)
		add_bstr(in, id, h->value, fl, tx);
}

static void add_piece(struct ys_inspect *in, enum ys_buf_id id, const struct ys_http_side *sd,
		      int p, uint16_t fl, uint64_t tx)
{
	if (sd->pc[p].len)
		ys_inspect_add(in, id, sd->built.p + sd->pc[p].off, sd->pc[p].len, fl, tx);
}

/*
 * What either direction has once its headers are done, besides the headers
 * picked by name: the normalised and raw header blocks, the header names and
 * the start (first line + headers).
 */
static void add_side_headers(struct ys_inspect *in, const struct ys_http_side *sd, uint16_t fl,
			     uint64_t tx)
{
	add_piece(in, YS_BUF_HTTP_HEADER, sd, P_HEADER, fl, tx);
	if (sd->raw.len)
		ys_inspect_add(in, YS_BUF_HTTP_HEADER_RAW, sd->raw.p, sd->raw.len, fl, tx);
	add_piece(in, YS_BUF_HTTP_HEADER_NAMES, sd, P_NAMES, fl, tx);
	add_piece(in, YS_BUF_HTTP_START, sd, P_START, fl, tx);
}

/* One EACH buffer per header line of SD (at most YS_HTTP_HDR_PIECES). */
static void add_header_lines(struct ys_inspect *in, const struct ys_http_side *sd,
			     enum ys_buf_id each, uint16_t fl, uint64_t tx)
{
	if (!sd->hdr_done)
		return;
	for (uint16_t i = 0; i < sd->nhdr; i++)
		ys_inspect_add(in, each, sd->built.p + sd->hdr[i].off, sd->hdr[i].len, fl, tx);
}

/* The buffers of the transaction so far that come in a fixed number (all but
 * the per-line header buffers). */
static void add_tx_buffers(htp_tx_t *tx, const struct ys_http_tx *r, struct ys_inspect *in)
{
	const struct ys_http_side *rq = &r->side[0], *rs = &r->side[1];
	const uint16_t ts = YS_BUF_F_TO_SERVER, tc = YS_BUF_F_TO_CLIENT;
	uint64_t id = r->id;

	if (tx->request_line) {
		add_piece(in, YS_BUF_HTTP_URI, rq, P_URI, ts, id);
		add_bstr(in, YS_BUF_HTTP_URI_RAW, tx->request_uri, ts, id);
		add_bstr(in, YS_BUF_HTTP_METHOD, tx->request_method, ts, id);
		add_bstr(in, YS_BUF_HTTP_PROTOCOL, tx->request_protocol, ts, id);
		add_bstr(in, YS_BUF_HTTP_REQUEST_LINE, tx->request_line, ts, id);
	}
	if (rq->hdr_done) {
		htp_table_t *h = tx->request_headers;

		add_piece(in, YS_BUF_HTTP_HOST, rq, P_HOST, ts, id);
		add_hdr(in, YS_BUF_HTTP_HOST_RAW, h, "host", ts, id);
		add_hdr(in, YS_BUF_HTTP_USER_AGENT, h, "user-agent", ts, id);
		add_hdr(in, YS_BUF_HTTP_COOKIE, h, "cookie", ts, id);
		add_hdr(in, YS_BUF_HTTP_REFERER, h, "referer", ts, id);
		add_hdr(in, YS_BUF_HTTP_CONTENT_TYPE, h, "content-type", ts, id);
		add_hdr(in, YS_BUF_HTTP_CONTENT_LEN, h, "content-length", ts, id);
		add_hdr(in, YS_BUF_HTTP_ACCEPT, h, "accept", ts, id);
		add_hdr(in, YS_BUF_HTTP_ACCEPT_LANG, h, "accept-language", ts, id);
		add_hdr(in, YS_BUF_HTTP_ACCEPT_ENC, h, "accept-encoding", ts, id);
		add_hdr(in, YS_BUF_HTTP_CONNECTION, h, "connection", ts, id);
		add_side_headers(in, rq, ts, id);
	}
	if (rq->body_done && rq->body.len) {
		uint16_t fl = ts | YS_BUF_F_COMPLETE;

		ys_inspect_add(in, YS_BUF_HTTP_REQUEST_BODY, rq->body.p, rq->body.len, fl, id);
		if (r->is_post)
			ys_inspect_add(in, YS_BUF_FILE_DATA, rq->body.p, rq->body.len, fl, id);
	}
	if (tx->response_line) {
		add_bstr(in, YS_BUF_HTTP_STAT_CODE, tx->response_status, tc, id);
		add_bstr(in, YS_BUF_HTTP_STAT_MSG, tx->response_message, tc, id);
		add_bstr(in, YS_BUF_HTTP_RESPONSE_LINE, tx->response_line, tc, id);
		add_bstr(in, YS_BUF_HTTP_PROTOCOL, tx->response_protocol, tc, id);
	}
	if (rs->hdr_done) {
		htp_table_t *h = tx->response_headers;

		add_hdr(in, YS_BUF_HTTP_SERVER, h, "server", tc, id);
		add_hdr(in, YS_BUF_HTTP_LOCATION, h, "location", tc, id);
		add_hdr(in, YS_BUF_HTTP_CONTENT_TYPE, h, "content-type", tc, id);
		add_hdr(in, YS_BUF_HTTP_CONTENT_LEN, h, "content-length", tc, id);
		add_hdr(in, YS_BUF_HTTP_CONNECTION, h, "connection", tc, id);
		add_side_headers(in, rs, tc, id);
	}
	if (rs->body_done && rs->body.len)
		ys_inspect_add(in, YS_BUF_FILE_DATA, rs->body.p, rs->body.len,
			       tc | YS_BUF_F_COMPLETE, id);
}

/* Free transactions complete on both sides that were presented in an earlier call. */
static void reap(struct ys_http_state *s)
{
	htp_list_t *l = txs_of(s);
	size_t n = l ? htp_list_size(l) : 0;

	for (size_t i = s->scan_from; i < n; i++) {
		htp_tx_t *tx = htp_list_get(l, i);
		struct ys_http_tx *r;

		if (!tx) {
			if (i == s->scan_from)
				s->scan_from++;
			continue;
		}
		r = htp_tx_get_user_data(tx);
		if (tx->request_progress != HTP_REQUEST_COMPLETE ||
		    tx->response_progress != HTP_RESPONSE_COMPLETE ||
		    (r && (r->progressed || r->shown_gen == s->ctx->gen)))
			continue;
		txr_free(s, r);
		htp_tx_set_user_data(tx, NULL);
		if (s->live)
			s->live--;
		htp_tx_destroy(tx);
		if (i == s->scan_from)
			s->scan_from++;
	}
}

/*
 * Add buffers of the transactions that progressed in this call. The inspect
 * set holds YS_INSPECT_MAX_BUFS and the peer chooses how many transactions a
 * packet completes (pipelining) and how many header lines each has: first
 * every transaction's buffers of fixed number, then the per-line header
 * buffers (response before request: the newer side). A transaction whose
 * fixed buffers do not all fit is taken back and stays progressed, so that
 * the next packet of the flow presents it (the first one always stays).
 */
static void present(struct ys_http_state *s, struct ys_inspect *in)
{
	htp_list_t *l = txs_of(s);
	size_t n = l ? htp_list_size(l) : 0, first = n;

	for (size_t i = s->scan_from; i < n; i++) {
		htp_tx_t *tx = htp_list_get(l, i);
		struct ys_http_tx *r = tx ? htp_tx_get_user_data(tx) : NULL;
		uint32_t n0 = in->nbufs;

		if (!r || !r->progressed)
			continue;
		add_tx_buffers(tx, r, in);
		if (in->nbufs >= YS_INSPECT_MAX_BUFS && first < n) {
			in->nbufs = n0; /* may not all be in: next packet */
			break;
		}
		if (first == n)
			first = i;
		r->progressed = false;
		r->shown_gen = s->ctx->gen;
		s->last_tx = r->id;
		s->have_last = true;
	}
	for (size_t i = first; i < n; i++) {
		htp_tx_t *tx = htp_list_get(l, i);
		struct ys_http_tx *r = tx ? htp_tx_get_user_data(tx) : NULL;

		if (!r || r->progressed || r->shown_gen != s->ctx->gen)
			continue;
		add_header_lines(in, &r->side[1], YS_BUF_HTTP_RESPONSE_HEADER, YS_BUF_F_TO_CLIENT,
				 r->id);
		add_header_lines(in, &r->side[0], YS_BUF_HTTP_REQUEST_HEADER, YS_BUF_F_TO_SERVER,
				 r->id);
	}
}

/* At the end of a direction, bodies (and headers) that never completed are
 * presented as they are. */
static void finish_bodies(struct ys_http_state *s, int side)
{
	htp_list_t *l = txs_of(s);
	size_t n = l ? htp_list_size(l) : 0;

	for (size_t i = s->scan_from; i < n; i++) {
		htp_tx_t *tx = htp_list_get(l, i);
		struct ys_http_tx *r = tx ? htp_tx_get_user_data(tx) : NULL;

		if (!r)
			continue;
		if (!r->side[side].body_done && r->side[side].body.len) {
			r->side[side].body_done = true;
			r->progressed = true;
		}
		/* Closed inside the headers: inspect the header lines that did arrive. */
		if (!r->side[side].hdr_done) {
			htp_table_t *h = side ? tx->response_headers : tx->request_headers;
			const bstr *line = side ? tx->response_line : tx->request_line;

			if (line && h && htp_table_size(h)) {
				r->side[side].hdr_done = true;
				r->progressed = true;
				build_side(&r->side[side], side, line, h, tx);
			}
		}
	}
}

static int feed_req(struct ys_http_state *s, const struct timeval *tv, const uint8_t *d,
		    uint32_t len)
{
	int rc = htp_connp_req_data(s->connp, tv, d, len);

	if (rc == HTP_STREAM_TUNNEL) {
		/* The proxy accepted a CONNECT: this data is another protocol. libhtp
		 * answers TUNNEL at the first call after the 2xx, before parsing anything
		 * (its "consumed" count is not meaningful then), so all of it is. */
		s->ctx->switch_off = 0;
		return 1;
	}
	if (rc == HTP_STREAM_DATA_OTHER) {
		/* libhtp waits for the response (CONNECT, 100-continue): keep the rest. */
		size_t used = htp_connp_req_data_consumed(s->connp);

		if (used < len && ys_dbuf_append(&s->pending, d + used, len - used,
						 YS_HTTP_PENDING_MAX) != (int)(len - used))
			return -1;
		return 0;
	}
	return rc == HTP_STREAM_ERROR ? -1 : 0;
}

static int http_parse(struct ys_applayer_ctx *ctx, void *st, int dir, const uint8_t *d,
		      uint32_t len, uint32_t flags, uint64_t ts, struct ys_inspect *in)
{
	struct ys_http_state *s = st;
	struct timeval tv = { .tv_sec = (time_t)(ts / 1000000), .tv_usec = (long)(ts % 1000000) };
	int rc = 0;

	reap(s);
	if (s->abandon)
		return -1;
	if (flags & YS_STREAM_GAP) {
		/* libhtp 0.5 cannot resync after a hole: show what we have, then stop. */
		finish_bodies(s, 0);
		finish_bodies(s, 1);
		return -1; /* http_packet_end() still presents them */
	}
	if (d && len && !s->closed[dir]) {
		if (dir == 0) {
			if (s->pending.len) {
				if (ys_dbuf_append(&s->pending, d, len, YS_HTTP_PENDING_MAX) !=
				    (int)len)
					rc = -1;
			} else {
				rc = feed_req(s, &tv, d, len);
			}
		} else {
			int r = htp_connp_res_data(s->connp, &tv, d, len);

			rc = r == HTP_STREAM_ERROR ? -1 : 0;
			if (r == HTP_STREAM_TUNNEL) {
				ctx->switch_off = 0; /* as for requests, see feed_req() */
				rc = 1;
			}
			if (rc == 0 && s->pending.len) {
				struct ys_dbuf p = s->pending;

				s->pending = (struct ys_dbuf){ 0 };
				/* Held request bytes are not this call's data: no switch
				 * from them. */
				rc = feed_req(s, &tv, p.p, p.len) < 0 ? -1 : 0;
				ys_dbuf_free(&p);
			}
		}
	}
	if (flags & YS_STREAM_EOF && !s->closed[dir]) {
		s->closed[dir] = true;
		if (dir == 0)
			htp_connp_req_close(s->connp, &tv);
		else
			htp_connp_close(s->connp, &tv);
		finish_bodies(s, dir);
	}
	/* Buffers are added once both directions of the packet are parsed (see
	 * http_packet_end): libhtp may free a field of a transaction presented by
	 * the first direction while parsing the second (a 100 Continue replaced by
	 * the final response line). */
	if (rc < 0 || s->abandon) {
		ctx->st.http_errors++;
		return -1;
	}
	return rc == 1 ? 1 : 0;
}

static void http_packet_end(struct ys_applayer_ctx *ctx, void *st, struct ys_inspect *in)
{
	present(st, in);
}

static void eve_bstr(json_t *o, const char *key, const bstr *b)
{
	if (b && bstr_len(b))
		json_object_set_new(o, key, json_stringn((const char *)bstr_ptr(b), bstr_len(b)));
}

static void eve_hdr(json_t *o, const char *key, htp_table_t *t, const char *name)
{
	htp_header_t *h = t ? htp_table_get_c(t, name) : NULL;

	if (h)
		eve_bstr(o, key, h->value);
}

static int http_eve(const void *st, uint64_t tx_id, json_t *obj)
{
	const struct ys_http_state *s = st;
	htp_list_t *l = txs_of(s);
	htp_tx_t *tx;
	json_t *h;

	if (tx_id == UINT64_MAX) {
		if (!s->have_last)
			return -ENOENT;
		tx_id = s->last_tx;
	}
	if (!l || tx_id >= htp_list_size(l) || !(tx = htp_list_get(l, tx_id)))
		return -ENOENT;
	h = json_object();
	if (!h)
		return -ENOMEM;
	eve_bstr(h, "hostname", tx->request_hostname);
	if (tx->request_port_number > 0)
		json_object_set_new(h, "http_port", json_integer(tx->request_port_number));
	eve_bstr(h, "url", tx->request_uri);
	eve_hdr(h, "http_user_agent", tx->request_headers, "user-agent");
	eve_hdr(h, "http_content_type", tx->response_headers, "content-type");
	eve_hdr(h, "http_refer", tx->request_headers, "referer");
	eve_bstr(h, "http_method", tx->request_method);
	eve_bstr(h, "protocol", tx->request_protocol);
	if (tx->response_status_number > 0)
		json_object_set_new(h, "status", json_integer(tx->response_status_number));
	eve_hdr(h, "redirect", tx->response_headers, "location");
	if (tx->response_message_len > 0)
		json_object_set_new(h, "length", json_integer(tx->response_message_len));
	json_object_set_new(obj, "http", h);
	return 0;
}

const struct ys_app_parser ys_app_http_parser = {
	.proto = YS_APP_HTTP,
	.state_new = http_new,
	.state_free = http_free,
	.parse = http_parse,
	.packet_end = http_packet_end,
	.eve = http_eve,
};
