/*
 * YsKafkaAdmin: the one JVM kafka.sh starts after the broker, so that "ready" means the
 * broker answers Kafka requests (not only that its port is open) and the Yunshao topics
 * exist with a leader on every partition. One process for all topics keeps a test's
 * broker start short (a JVM per topic would cost seconds each).
 *
 *   YsKafkaAdmin ready  <bootstrap> <timeout_s> [topic:partitions ...]
 *   YsKafkaAdmin list   <bootstrap>
 *
 * Exit 0 when ready, 1 on timeout or error (the reason on stderr).
 * kafka.sh compiles it with javac against the cached kafka-clients jar.
 */
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;

public final class YsKafkaAdmin {
	private static Admin open(String bootstrap) {
		Properties p = new Properties();
		p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
		p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
		p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
		p.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "200");
		/* kafka.sh's TLS mode: the test CA and client certificate it made */
		String tlsDir = System.getenv("YS_KAFKA_TLS_DIR");
		if (tlsDir != null) {
			p.put("security.protocol", "SSL");
			p.put("ssl.truststore.type", "PEM");
			p.put("ssl.truststore.location", tlsDir + "/ca.pem");
			p.put("ssl.keystore.type", "PEM");
			p.put("ssl.keystore.location", tlsDir + "/client.pem");
		}
		/* kafka.sh's SASL mode: the same single user as the broker */
		String sasl = System.getenv("YS_KAFKA_SASL");
		if (sasl != null && sasl.contains(":")) {
			String user = sasl.substring(0, sasl.indexOf(':'));
			String pass = sasl.substring(sasl.indexOf(':') + 1);
			String mech = System.getenv("YS_KAFKA_SASL_MECHANISM");
			boolean plain = "PLAIN".equals(mech);
			p.put("security.protocol", "SASL_PLAINTEXT");
			p.put("sasl.mechanism", plain ? "PLAIN" : "SCRAM-SHA-512");
			p.put("sasl.jaas.config",
			      (plain ? "org.apache.kafka.common.security.plain.PlainLoginModule"
				     : "org.apache.kafka.common.security.scram.ScramLoginModule")
				      + " required username=\"" + user + "\" password=\"" + pass + "\";");
		}
		return Admin.create(p);
	}

	/* true when every listed topic exists and each partition has a leader */
	private static boolean topicsReady(Admin admin, Map<String, Integer> want) throws Exception {
		if (want.isEmpty())
			return true;
		Map<String, TopicDescription> d =
			admin.describeTopics(want.keySet()).allTopicNames().get(5, TimeUnit.SECONDS);
		for (Map.Entry<String, Integer> e : want.entrySet()) {
			TopicDescription td = d.get(e.getKey());
			if (td == null || td.partitions().size() < e.getValue())
				return false;
			for (TopicPartitionInfo pi : td.partitions())
				if (pi.leader() == null || pi.leader().isEmpty())
					return false;
		}
		return true;
	}

	private static int ready(String bootstrap, long timeoutS, String[] specs, int from) {
		Map<String, Integer> want = new HashMap<>();
		for (int i = from; i < specs.length; i++) {
			String[] kv = specs[i].split(":", 2);
			want.put(kv[0], kv.length > 1 ? Integer.parseInt(kv[1]) : 1);
		}
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
		String last = "no answer yet";
		try (Admin admin = open(bootstrap)) {
			while (System.nanoTime() < deadline) {
				try {
					admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
					List<NewTopic> create = new ArrayList<>();
					for (Map.Entry<String, Integer> e : want.entrySet())
						create.add(new NewTopic(e.getKey(), e.getValue(), (short)1));
					for (Map.Entry<String, ?> r :
					     admin.createTopics(create).values().entrySet()) {
						try {
							((org.apache.kafka.common.KafkaFuture<?>)r.getValue()).get();
						} catch (ExecutionException ex) {
							if (!(ex.getCause() instanceof TopicExistsException))
								throw ex;
						}
					}
					if (topicsReady(admin, want))
						return 0;
					last = "topics not ready";
				} catch (Exception ex) {
					Throwable c = ex.getCause() != null ? ex.getCause() : ex;
					last = c.getClass().getSimpleName() + ": " + c.getMessage();
				}
				Thread.sleep(250);
			}
		} catch (InterruptedException ie) {
			Thread.currentThread().interrupt();
		}
		System.err.println("kafka: broker at " + bootstrap + " not ready after " + timeoutS +
				   " s: " + last);
		return 1;
	}

	private static int list(String bootstrap) {
		try (Admin admin = open(bootstrap)) {
			Map<String, TopicDescription> d = admin.describeTopics(
				admin.listTopics().names().get(10, TimeUnit.SECONDS))
				.allTopicNames().get(10, TimeUnit.SECONDS);
			new java.util.TreeMap<>(d).forEach((name, td) ->
				System.out.println(name + " partitions=" + td.partitions().size()));
			return 0;
		} catch (Exception ex) {
			System.err.println("kafka: cannot list topics at " + bootstrap + ": " + ex);
			return 1;
		}
	}

	public static void main(String[] args) {
		int rc = 2;
		if (args.length >= 3 && args[0].equals("ready"))
			rc = ready(args[1], Long.parseLong(args[2]), args, 3);
		else if (args.length == 2 && args[0].equals("list"))
			rc = list(args[1]);
		else
			System.err.println("usage: YsKafkaAdmin ready <bootstrap> <timeout_s> [topic:n ...]"
					   + " | list <bootstrap>");
		System.exit(rc);
	}
}
