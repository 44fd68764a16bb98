package io.graphcdp.neo4j;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

/**
 * Runs Neo4j Community as an embedded DBMS with the Bolt connector enabled, until it is
 * sent SIGTERM/SIGINT, when it shuts the DBMS down cleanly.
 *
 * <p>Arguments are {@code --key value} pairs: home, host, port, auth (true/false),
 * password (read from the environment variable NEO4J_LOCAL_PASSWORD when absent),
 * pagecache (e.g. 512m), tx-memory (e.g. 2g).
 */
public final class Launcher {
    private Launcher() {}

    /**
     * The built-in user must not keep the default password, which Bolt clients are forced to
     * change: set the configured one on the system database (a no-op when already set).
     */
    private static void setPassword(DatabaseManagementService dbms, String password) {
        GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j IF EXISTS SET PASSWORD $pw CHANGE NOT REQUIRED",
                    Map.of("pw", password));
        } catch (RuntimeException e) {
            if (!String.valueOf(rootMessage(e)).contains("cannot be the same")) {
                throw e;
            }
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --key value, got " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        Path home = Path.of(opts.getOrDefault("home", ".neo4j")).toAbsolutePath();
        String host = opts.getOrDefault("host", "127.0.0.1");
        int port = Integer.parseInt(opts.getOrDefault("port", "7687"));
        boolean auth = Boolean.parseBoolean(opts.getOrDefault("auth", "true"));
        String password = opts.getOrDefault("password", System.getenv("NEO4J_LOCAL_PASSWORD"));
        long pagecache = ByteUnit.parse(opts.getOrDefault("pagecache", "512m"));
        // Transaction logs are kept for backups and clusters, neither of which a local
        // server has: by default keep the last two files of at most 64 MiB (the default of
        // two days kept 7.2 GB after a dozen reloads of a small graph).
        String txLogRetention = opts.getOrDefault("tx-log-retention", "2 files");

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
                .setConfig(GraphDatabaseSettings.keep_logical_logs, txLogRetention)
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(64))
                // Query parameters hold customers' personal data: never write them to logs.
                .setConfig(GraphDatabaseSettings.log_queries_parameter_logging_enabled, false)
                .build();

        try {
            if (auth && password != null && !password.isEmpty()) {
                setPassword(dbms, password);
            }
        } catch (RuntimeException e) {
            // Do not leave a half-started JVM behind: the manager sees the exit at once.
            e.printStackTrace();
            dbms.shutdown();
            System.exit(2);
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("neo4j-local: shutting down");
            dbms.shutdown();
            System.out.println("neo4j-local: stopped");
            stopped.countDown();
        }, "neo4j-local-shutdown"));
        System.out.println("neo4j-local: bolt listening on " + host + ":" + port
                + " home=" + home + " auth=" + auth);
        // The manager waits for this line before it trusts an authentication failure.
        System.out.println("neo4j-local: ready pid=" + ProcessHandle.current().pid());
        System.out.flush();
        stopped.await();
    }
}
