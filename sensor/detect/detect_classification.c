/*
 * classtype: semantics: a table of short name -> description (EVE
 * alert.category) and default priority (EVE alert.severity unless the rule
 * says priority:), loaded from a classification.config file or, without one,
 * from a built-in copy of Suricata's default classification.config. Lines read
 * "config classification: name,description,priority"; '#' starts a comment.
 */
#include "detect_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char default_classification[] =
	"config classification: not-suspicious,Not Suspicious Traffic,3\n"
	"config classification: unknown,Unknown Traffic,3\n"
	"config classification: bad-unknown,Potentially Bad Traffic, 2\n"
	"config classification: attempted-recon,Attempted Information Leak,2\n"
	"config classification: successful-recon-limited,Information Leak,2\n"
	"config classification: successful-recon-largescale,Large Scale Information Leak,2\n"
	"config classification: attempted-dos,Attempted Denial of Service,2\n"
	"config classification: successful-dos,Denial of Service,2\n"
	"config classification: attempted-user,Attempted User Privilege Gain,1\n"
	"config classification: unsuccessful-user,Unsuccessful User Privilege Gain,1\n"
	"config classification: successful-user,Successful User Privilege Gain,1\n"
	"config classification: attempted-admin,Attempted Administrator Privilege Gain,1\n"
	"config classification: successful-admin,Successful Administrator Privilege Gain,1\n"
	"config classification: rpc-portmap-decode,Decode of an RPC Query,2\n"
	"config classification: shellcode-detect,Executable code was detected,1\n"
	"config classification: string-detect,A suspicious string was detected,3\n"
	"config classification: suspicious-filename-detect,A suspicious filename was detected,2\n"
	"config classification: suspicious-login,An attempted login using a suspicious username "
	"was detected,2\n"
	"config classification: system-call-detect,A system call was detected,2\n"
	"config classification: tcp-connection,A TCP connection was detected,4\n"
	"config classification: trojan-activity,A Network Trojan was detected, 1\n"
	"config classification: unusual-client-port-connection,A client was using an unusual "
	"port,2\n"
	"config classification: network-scan,Detection of a Network Scan,3\n"
	"config classification: denial-of-service,Detection of a Denial of Service Attack,2\n"
	"config classification: non-standard-protocol,Detection of a non-standard protocol or "
	"event,2\n"
	"config classification: protocol-command-decode,Generic Protocol Command Decode,3\n"
	"config classification: web-application-activity,access to a potentially vulnerable web "
	"application,2\n"
	"config classification: web-application-attack,Web Application Attack,1\n"
	"config classification: misc-activity,Misc activity,3\n"
	"config classification: misc-attack,Misc Attack,2\n"
	"config classification: icmp-event,Generic ICMP event,3\n"
	"config classification: kickass-porn,SCORE! Get the lotion!,1\n"
	"config classification: policy-violation,Potential Corporate Privacy Violation,1\n"
	"config classification: default-login-attempt,Attempt to login by a default username and "
	"password,2\n"
	"config classification: targeted-activity,Targeted Malicious Activity was Detected,1\n"
	"config classification: exploit-kit,Exploit Kit Activity Detected,1\n"
	"config classification: external-ip-check,Device Retrieving External IP Address "
	"Detected,2\n"
	"config classification: domain-c2,Domain Observed Used for C2 Detected,1\n"
	"config classification: pup-activity,Possibly Unwanted Program Detected,2\n"
	"config classification: credential-theft,Successful Credential Theft Detected,1\n"
	"config classification: social-engineering,Possible Social Engineering Attempted,2\n"
	"config classification: coin-mining,Crypto Currency Mining Activity Detected,2\n"
	"config classification: command-and-control,Malware Command and Control Activity "
	"Detected,1\n";

static char *trim_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

static int class_add(struct ys_class_table *t, const char *name, const char *desc, int prio)
{
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].name, name) == 0) {
			/* a later definition replaces the earlier one */
			char *d = strdup(desc);
			if (!d)
				return -ENOMEM;
			free(t->v[i].desc);
			t->v[i].desc = d;
			t->v[i].priority = prio;
			return 0;
		}
	}
	struct ys_classtype *nv = realloc(t->v, (t->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	t->v = nv;
	nv[t->n].name = strdup(name);
	nv[t->n].desc = strdup(desc);
	nv[t->n].priority = prio;
	if (!nv[t->n].name || !nv[t->n].desc) {
		free(nv[t->n].name);
		free(nv[t->n].desc);
		return -ENOMEM;
	}
	t->n++;
	return 0;
}

/* Parse one line; lines that are not classification entries are ignored. */
static int class_line(struct ys_class_table *t, char *line)
{
	static const char prefix[] = "config classification:";
	char *s = trim_ws(line), *c1, *c2, *end;
	long prio;

	if (*s == '#' || strncmp(s, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	s += sizeof(prefix) - 1;
	c1 = strchr(s, ',');
	if (!c1)
		return -EINVAL;
	c2 = strrchr(s, ',');
	if (c2 == c1)
		return -EINVAL;
	*c1 = 0;
	*c2 = 0;
	errno = 0;
	prio = strtol(trim_ws(c2 + 1), &end, 10);
	if (errno || *end || prio < 0 || prio > 255)
		return -EINVAL;
	return class_add(t, trim_ws(s), trim_ws(c1 + 1), (int)prio);
}

static int class_parse_text(struct ys_class_table *t, const char *text)
{
	char line[1024];

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, text, n);
		line[n] = 0;
		/* malformed lines are skipped, as Suricata does (with a warning) */
		if (class_line(t, line) == -ENOMEM)
			return -ENOMEM;
		text = nl ? nl + 1 : text + n;
	}
	return 0;
}

int ys_class_table_load_default(struct ys_class_table *t)
{
	return class_parse_text(t, default_classification);
}

int ys_class_table_load_file(struct ys_class_table *t, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int rc = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (class_line(t, line) == -ENOMEM) {
			rc = -ENOMEM;
			break;
		}
	}
	fclose(f);
	return rc;
}

void ys_class_table_clear(struct ys_class_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].desc);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

const struct ys_classtype *ys_class_table_find(const struct ys_class_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}
