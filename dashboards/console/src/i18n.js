/*
 * Every user-visible string of the console, in one table: Chinese (zh) and
 * English (en). Pages call t('key', {var}) and never embed text, so a missing
 * translation shows up as the key itself (and in the i18n unit check of the
 * e2e suite) instead of silently falling back to one language.
 */
const TABLE = {
	'app.title': { zh: '云哨 SOC 控制台', en: 'Yunshao SOC console' },
	'app.brand': { zh: '云哨', en: 'Yunshao' },
	'lang.switch': { zh: 'English', en: '中文' },
	'nav.situation': { zh: '态势总览', en: 'Situation' },
	'nav.incidents': { zh: '事件队列', en: 'Incidents' },
	'nav.alerts': { zh: '告警检索', en: 'Alerts' },
	'nav.sensors': { zh: '传感器', en: 'Sensors' },
	'nav.audit': { zh: '审计日志', en: 'Audit log' },
	'nav.report': { zh: '等保报告', en: 'MLPS report' },
	'nav.signout': { zh: '退出', en: 'Sign out' },

	'login.title': { zh: '登录', en: 'Sign in' },
	'login.token': { zh: '访问令牌', en: 'Access token' },
	'login.submit': { zh: '登录', en: 'Sign in' },
	'login.hint': {
		zh: '令牌由管理员在 ingest.yaml 中配置，仅保存在本标签页的会话存储中。',
		en: 'Tokens are configured by the administrator in ingest.yaml and kept only in this tab\'s session storage.'
	},
	'login.bad': { zh: '令牌无效', en: 'Invalid token' },

	'who.role': { zh: '角色', en: 'Role' },
	'who.tenants': { zh: '租户', en: 'Tenants' },
	'role.admin': { zh: '管理员', en: 'admin' },
	'role.analyst': { zh: '分析员', en: 'analyst' },
	'role.auditor': { zh: '审计员', en: 'auditor' },
	'tenants.all': { zh: '全部', en: 'all' },

	'live.updated': { zh: '更新于 {time}', en: 'Updated {time}' },
	'live.paused': { zh: '实时更新已暂停', en: 'Live updates paused' },
	'live.error': { zh: '更新失败：{msg}', en: 'Update failed: {msg}' },

	'level.blue': { zh: '蓝色', en: 'Blue' },
	'level.yellow': { zh: '黄色', en: 'Yellow' },
	'level.orange': { zh: '橙色', en: 'Orange' },
	'level.red': { zh: '红色', en: 'Red' },
	'level.none': { zh: '无预警', en: 'No warning' },
	'level.label': { zh: '预警级别', en: 'Warning level' },

	'sit.title': { zh: '态势总览', en: 'Situation overview' },
	'sit.alerts24h': { zh: '24 小时告警', en: 'Alerts (24 h)' },
	'sit.incidentsOpen': { zh: '未关闭事件', en: 'Open incidents' },
	'sit.sensors': { zh: '传感器 在线/静默', en: 'Sensors reporting/silent' },
	'sit.trend': { zh: '告警与事件趋势（24 小时，每小时）', en: 'Alert and incident trend (24 h, hourly)' },
	'sit.topSignatures': { zh: '高频签名', en: 'Top signatures' },
	'sit.topSources': { zh: '高频来源', en: 'Top sources' },
	'sit.sensorMap': { zh: '机架传感器分布', en: 'Sensor map by rack' },
	'sit.noTenants': { zh: '没有可见的租户数据', en: 'No tenant data visible' },
	'sit.generated': { zh: '生成于 {time}', en: 'Generated {time}' },
	'series.alerts': { zh: '告警', en: 'Alerts' },
	'series.incidents': { zh: '事件', en: 'Incidents' },

	'col.sid': { zh: 'SID', en: 'SID' },
	'col.signature': { zh: '签名', en: 'Signature' },
	'col.count': { zh: '次数', en: 'Count' },
	'col.ip': { zh: '地址', en: 'Address' },
	'col.id': { zh: '编号', en: 'ID' },
	'col.tenant': { zh: '租户', en: 'Tenant' },
	'col.title': { zh: '标题', en: 'Title' },
	'col.level': { zh: '级别', en: 'Level' },
	'col.severity': { zh: '严重度', en: 'Severity' },
	'col.status': { zh: '状态', en: 'Status' },
	'col.assignee': { zh: '负责人', en: 'Assignee' },
	'col.firstSeen': { zh: '首次出现', en: 'First seen' },
	'col.lastSeen': { zh: '最近出现', en: 'Last seen' },
	'col.alertCount': { zh: '告警数', en: 'Alerts' },
	'col.time': { zh: '时间', en: 'Time' },
	'col.src': { zh: '源', en: 'Source' },
	'col.dest': { zh: '目的', en: 'Destination' },
	'col.proto': { zh: '协议', en: 'Proto' },
	'col.sensor': { zh: '传感器', en: 'Sensor' },
	'col.rack': { zh: '机架', en: 'Rack' },
	'col.host': { zh: '主机', en: 'Host' },
	'col.lastSeenSensor': { zh: '最近上报', en: 'Last seen' },
	'col.packets': { zh: '包数', en: 'Packets' },
	'col.drops': { zh: '丢包', en: 'Drops' },
	'col.alerts': { zh: '告警', en: 'Alerts' },
	'col.seq': { zh: '序号', en: 'Seq' },
	'col.actor': { zh: '操作者', en: 'Actor' },
	'col.action': { zh: '操作', en: 'Action' },
	'col.target': { zh: '对象', en: 'Target' },
	'col.detail': { zh: '详情', en: 'Detail' },
	'col.hash': { zh: '哈希', en: 'Hash' },
	'col.controls': { zh: '等保控制点', en: 'MLPS controls' },

	'status.open': { zh: '未处理', en: 'Open' },
	'status.acknowledged': { zh: '已确认', en: 'Acknowledged' },
	'status.closed': { zh: '已关闭', en: 'Closed' },
	'status.ok': { zh: '正常', en: 'OK' },
	'status.silent': { zh: '静默', en: 'Silent' },
	'filter.any': { zh: '全部', en: 'Any' },
	'filter.apply': { zh: '查询', en: 'Search' },
	'filter.reset': { zh: '重置', en: 'Reset' },
	'filter.tenant': { zh: '租户', en: 'Tenant' },
	'filter.status': { zh: '状态', en: 'Status' },
	'filter.level': { zh: '级别', en: 'Level' },
	'filter.since': { zh: '起始时间', en: 'Since' },
	'filter.until': { zh: '截止时间', en: 'Until' },
	'filter.severity': { zh: '严重度', en: 'Severity' },
	'filter.sid': { zh: '签名 ID', en: 'Signature ID' },
	'filter.srcIp': { zh: '源地址', en: 'Source IP' },
	'filter.destIp': { zh: '目的地址', en: 'Destination IP' },
	'filter.sensor': { zh: '传感器', en: 'Sensor' },
	'filter.q': { zh: '关键字', en: 'Text' },
	'filter.sort': { zh: '排序', en: 'Sort' },
	'sort.lastSeen': { zh: '最近出现', en: 'Last seen' },
	'sort.level': { zh: '级别', en: 'Level' },
	'sort.alertCount': { zh: '告警数', en: 'Alert count' },
	'sort.firstSeen': { zh: '首次出现', en: 'First seen' },
	'page.more': { zh: '加载更多', en: 'Load more' },
	'page.end': { zh: '已到末尾', en: 'End of results' },
	'page.count': { zh: '已显示 {n} 条', en: '{n} shown' },
	'empty': { zh: '无数据', en: 'Nothing here' },
	'loading': { zh: '加载中…', en: 'Loading…' },

	'inc.title': { zh: '事件队列', en: 'Incident queue' },
	'inc.detail': { zh: '事件详情', en: 'Incident' },
	'inc.back': { zh: '返回队列', en: 'Back to queue' },
	'inc.acknowledge': { zh: '确认', en: 'Acknowledge' },
	'inc.assign': { zh: '指派', en: 'Assign' },
	'inc.assignee': { zh: '指派给', en: 'Assign to' },
	'inc.comment': { zh: '评论', en: 'Comment' },
	'inc.addComment': { zh: '添加评论', en: 'Add comment' },
	'inc.close': { zh: '关闭', en: 'Close' },
	'inc.closeReason': { zh: '关闭原因', en: 'Reason for closing' },
	'inc.timeline': { zh: '告警时间线', en: 'Alert timeline' },
	'inc.comments': { zh: '评论', en: 'Comments' },
	'inc.history': { zh: '处置记录', en: 'History' },
	'inc.rule': { zh: '关联规则', en: 'Correlation rule' },
	'inc.srcIps': { zh: '源地址', en: 'Source addresses' },
	'inc.destIps': { zh: '目的地址', en: 'Target addresses' },
	'inc.signatures': { zh: '签名', en: 'Signatures' },
	'inc.readonly': { zh: '当前角色只读', en: 'Read-only for your role' },
	'inc.done': { zh: '已完成：{action}', en: 'Done: {action}' },
	'inc.notFound': { zh: '事件不存在或不在您的租户范围内', en: 'No such incident in your tenants' },
	'inc.required': { zh: '请填写内容', en: 'Please fill this in' },

	'alert.title': { zh: '告警检索', en: 'Alert search' },
	'alert.raw': { zh: '原始 EVE', en: 'Raw EVE' },
	'alert.hideRaw': { zh: '收起', en: 'Hide' },
	'alert.notFound': { zh: '告警不存在或不在您的租户范围内', en: 'No such alert in your tenants' },

	'sensors.title': { zh: '传感器', en: 'Sensors' },
	'sensors.noRack': { zh: '未标注机架', en: 'No rack' },
	'sensors.stats': { zh: '计数器', en: 'Counters' },

	'audit.title': { zh: '审计日志', en: 'Audit log' },
	'audit.verify': { zh: '校验哈希链', en: 'Verify hash chain' },
	'audit.ok': { zh: '哈希链完整：{n} 条记录', en: 'Chain intact: {n} records' },
	'audit.bad': {
		zh: '哈希链断裂：第 {seq} 条（{reason}）',
		en: 'Chain broken at record {seq} ({reason})'
	},

	'report.title': { zh: '等保 2.0 证据报告', en: 'MLPS 2.0 evidence report' },
	'report.from': { zh: '开始', en: 'From' },
	'report.to': { zh: '结束', en: 'To' },
	'report.html': { zh: '生成 HTML', en: 'Open HTML' },
	'report.pdf': { zh: '下载 PDF', en: 'Download PDF' },
	'report.hint': {
		zh: '报告中的每一项结论均由存储中的数据计算得出。',
		en: 'Every statement in the report is computed from stored data.'
	},

	'err.network': { zh: '无法连接服务', en: 'Cannot reach the service' },
	'err.forbidden': { zh: '当前角色无权执行此操作', en: 'Your role may not do this' },
	'err.notFound': { zh: '不存在或不在您的租户范围内', en: 'Not found in your tenants' },
	'err.session': { zh: '会话已失效，请重新登录', en: 'Session expired, please sign in again' },
};

let lang = 'zh';

export function setLang(l) {
	lang = l === 'en' ? 'en' : 'zh';
	document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export function getLang() {
	return lang;
}

export function t(key, vars) {
	const row = TABLE[key];
	let s = row ? row[lang] : key;
	if (vars) {
		for (const [k, v] of Object.entries(vars)) s = s.split('{' + k + '}').join(String(v));
	}
	return s;
}

/* Keys whose zh or en text is missing: the e2e suite asserts this is empty. */
export function missingTranslations() {
	return Object.entries(TABLE)
		.filter(([, row]) => !row.zh || !row.en)
		.map(([k]) => k);
}

/* Format an RFC 3339 time for display in the user's locale (always with seconds). */
export function fmtTime(iso) {
	if (!iso) return '—';
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return String(iso);
	return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}

export function fmtNum(n) {
	if (n === null || n === undefined) return '—';
	return Number(n).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-US');
}
