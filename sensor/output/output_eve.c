/*
 * EVE formatting: one alert becomes one Suricata-compatible EVE JSON record
 * (field names and value formats as Suricata writes them, so EveBox, Kibana,
 * Wazuh and Splunk decoders work unchanged) plus Yunshao's own fields:
 * tenant_id, tenant, event_id, sensor{} and tunnel{}.
 */
#include "output_eve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applayer.h"
#include "ys_event.h"

/* Protocol names as Suricata prints them in "proto". */
static const char *ys_eve_proto(uint8_t proto, char buf[8])
{
	switch (proto) {
	case 1:
		return "ICMP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 58:
		return "IPv6-ICMP";
	case 47:
		return "GRE";
	case 132:
		return "SCTP";
	case 50:
		return "ESP";
	case 51:
		return "AH";
	default:
		snprintf(buf, 8, "%03u", proto);
		return buf;
	}
}

static const char *ys_eve_action(enum ys_action a)
{
	/* IDS mode: every alerting rule, drop and reject included, lets traffic through. */
	(void)a;
	return "allowed";
}

static void ys_eve_metadata(struct ys_jbuf *jb, const struct ys_sig_info *sig)
{
	if (!sig->nmetadata)
		return;
	ys_jbuf_open(jb, "metadata", '{');
	for (size_t i = 0; i < sig->nmetadata; i++) {
		bool seen = false;

		/* Suricata groups repeated keys into one array, in first-seen order. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(sig->metadata[j].key, sig->metadata[i].key) == 0;
		if (seen)
			continue;
		ys_jbuf_open(jb, sig->metadata[i].key, '[');
		for (size_t j = i; j < sig->nmetadata; j++)
			if (strcmp(sig->metadata[j].key, sig->metadata[i].key) == 0)
				ys_jbuf_str(jb, NULL, sig->metadata[j].value);
		ys_jbuf_close(jb, ']');
	}
	ys_jbuf_close(jb, '}');
}

static void ys_eve_flow(struct ys_jbuf *jb, const struct ys_flow *f)
{
	char ts[YS_EVE_TS_LEN], a[48];

	ys_jbuf_open(jb, "flow", '{');
	ys_jbuf_u64(jb, "pkts_toserver", f->pkts_toserver);
	ys_jbuf_u64(jb, "pkts_toclient", f->pkts_toclient);
	ys_jbuf_u64(jb, "bytes_toserver", f->bytes_toserver);
	ys_jbuf_u64(jb, "bytes_toclient", f->bytes_toclient);
	ys_eve_timestamp(f->start_usec, ts);
	ys_jbuf_str(jb, "start", ts);
	ys_addr_str(&f->client, a, sizeof(a));
	ys_jbuf_str(jb, "src_ip", a);
	ys_addr_str(&f->server, a, sizeof(a));
	ys_jbuf_str(jb, "dest_ip", a);
	if (f->proto == 6 || f->proto == 17 || f->proto == 132) {
		ys_jbuf_u64(jb, "src_port", f->client_port);
		ys_jbuf_u64(jb, "dest_port", f->server_port);
	}
	ys_jbuf_close(jb, '}');
}

static void ys_eve_tunnel(struct ys_jbuf *jb, const struct ys_tunnel *t)
{
	char a[48];

	ys_jbuf_open(jb, "tunnel", '{');
	ys_jbuf_str(jb, "type", t->type == YS_TUNNEL_VXLAN ? "vxlan" : "geneve");
	ys_jbuf_u64(jb, "vni", t->vni);
	ys_addr_str(&t->outer_src, a, sizeof(a));
	ys_jbuf_str(jb, "src_ip", a);
	ys_addr_str(&t->outer_dst, a, sizeof(a));
	ys_jbuf_str(jb, "dest_ip", a);
	ys_jbuf_close(jb, '}');
}

/* The http{} / dns{} / tls{} object of the alerting transaction, from the app layer. */
static void ys_eve_app(struct ys_jbuf *jb, const struct ys_alert *al)
{
	json_t *obj = json_object(), *v;
	const char *key;

	if (!obj)
		return;
	if (ys_applayer_eve(al->in->app_flow, al->tx_id, obj) == 0) {
		json_object_foreach(obj, key, v)
		{
			char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

			if (d) {
				ys_jbuf_json(jb, key, d, strlen(d));
				free(d);
			}
		}
	}
	json_decref(obj);
}

void ys_eve_format_alert(struct ys_jbuf *jb, const struct ys_alert *al, const struct ys_eve_ctx *cx,
			 char event_id[YS_UUID_STR_LEN])
{
	const struct ys_packet *p = al->pkt;
	const struct ys_sig_info *sig = al->sig;
	const struct ys_flow *f = al->flow;
	char ts[YS_EVE_TS_LEN], a[48], pbuf[8], cid[YS_COMMUNITY_ID_STR_LEN];
	bool ports = p->proto == 6 || p->proto == 17 || p->proto == 132;

	ys_jbuf_reset(jb);
	ys_uuid7(event_id);
	ys_jbuf_open(jb, NULL, '{');
	ys_eve_timestamp(p->ts_usec, ts);
	ys_jbuf_str(jb, "timestamp", ts);
	if (f)
		ys_jbuf_u64(jb, "flow_id", f->flow_id);
	if (p->pcap_cnt)
		ys_jbuf_u64(jb, "pcap_cnt", p->pcap_cnt);
	ys_jbuf_str(jb, "event_type", "alert");
	if (p->iface)
		ys_jbuf_str(jb, "in_iface", p->iface);
	if (p->vlan_count) {
		ys_jbuf_open(jb, "vlan", '[');
		for (unsigned i = 0; i < p->vlan_count; i++)
			ys_jbuf_u64(jb, NULL, p->vlan[i]);
		ys_jbuf_close(jb, ']');
	}
	ys_addr_str(&p->src, a, sizeof(a));
	ys_jbuf_str(jb, "src_ip", a);
	if (ports)
		ys_jbuf_u64(jb, "src_port", p->sport);
	ys_addr_str(&p->dst, a, sizeof(a));
	ys_jbuf_str(jb, "dest_ip", a);
	if (ports)
		ys_jbuf_u64(jb, "dest_port", p->dport);
	ys_jbuf_str(jb, "proto", ys_eve_proto(p->proto, pbuf));
	if (p->proto == 1 || p->proto == 58) {
		ys_jbuf_u64(jb, "icmp_type", p->icmp_type);
		ys_jbuf_u64(jb, "icmp_code", p->icmp_code);
	}
	if (f) {
		ys_jbuf_str(jb, "direction",
			    (p->flags & YS_PKT_TO_CLIENT) ? "to_client" : "to_server");
		if (f->client.family)
			ys_community_id(
				f->client.family, f->client.a, f->server.a, f->proto,
				(f->proto == 1 || f->proto == 58) ? f->icmp_type : f->client_port,
				(f->proto == 1 || f->proto == 58) ? f->icmp_code : f->server_port,
				cid);
		else
			cid[0] = '\0';
		if (cid[0])
			ys_jbuf_str(jb, "community_id", cid);
	}
	if (al->in && al->in->app_proto)
		ys_jbuf_str(jb, "app_proto",
			    ys_app_proto_name((enum ys_app_proto)al->in->app_proto));
	ys_jbuf_u64(jb, "tenant_id", p->tenant_id);
	ys_jbuf_str(jb, "tenant", ys_tenant_name(cx->tenants, p->tenant_id));

	ys_jbuf_open(jb, "alert", '{');
	ys_jbuf_str(jb, "action", ys_eve_action(sig->action));
	ys_jbuf_u64(jb, "gid", sig->gid);
	ys_jbuf_u64(jb, "signature_id", sig->sid);
	ys_jbuf_u64(jb, "rev", sig->rev);
	ys_jbuf_str(jb, "signature", sig->msg ? sig->msg : "");
	ys_jbuf_str(jb, "category", sig->category ? sig->category : "");
	ys_jbuf_i64(jb, "severity", sig->priority);
	ys_eve_metadata(jb, sig);
	ys_jbuf_close(jb, '}');

	if (al->in && al->in->app_flow)
		ys_eve_app(jb, al);
	if (f)
		ys_eve_flow(jb, f);
	if (cx->include_payload && al->payload && al->payload_len)
		ys_jbuf_base64(jb, "payload", al->payload,
			       al->payload_len > YS_EVE_MAX_PAYLOAD ? YS_EVE_MAX_PAYLOAD
								    : al->payload_len);
	if (p->tunnel.type != YS_TUNNEL_NONE)
		ys_eve_tunnel(jb, &p->tunnel);
	ys_jbuf_str(jb, "event_id", event_id);
	ys_jbuf_open(jb, "sensor", '{');
	ys_jbuf_str(jb, "id", cx->sensor.id);
	ys_jbuf_str(jb, "rack", cx->sensor.rack);
	ys_jbuf_str(jb, "host", cx->sensor.host);
	ys_jbuf_close(jb, '}');
	ys_jbuf_close(jb, '}');
}
