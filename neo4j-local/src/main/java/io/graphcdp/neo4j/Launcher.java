package io.graphcdp.neo4j;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.server.CommunityBootstrapper;

/**
 * Runs Neo4j Community as an embedded DBMS with the Bolt connector enabled, until it is
 * sent SIGTERM/SIGINT, when it shuts the DBMS down cleanly.
 *
 * <p>Arguments are {@code --key value} pairs: home, host, port, auth (true/false),
 * password (read from the environment variable NEO4J_LOCAL_PASSWORD when absent),
 * pagecache (e.g. 512m), tx-memory (e.g. 2g), and browser-port: with it, the server also
 * runs its HTTP connector on that port and serves Neo4j Browser (local development only).
 */
public final class Launcher {
    /**
     * How long the Bolt server waits for its thread pool and connections when it shuts down,
     * after the databases have stopped. Neo4j's 5 s each made every stop take 10 s; a local
     * server's clients are gone by then.
     */
    private static final Duration BOLT_SHUTDOWN_WAIT = Duration.ofMillis(500);

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

        String browserPort = opts.get("browser-port");
        DatabaseManagementService dbms;
        Runnable shutdown;
        if (browserPort != null) {
            // Neo4j Browser (local development only): the server bootstrapper, which also
            // runs the HTTP connector and serves the Browser from the neo4j-browser jar.
            CommunityBootstrapper boot = new CommunityBootstrapper();
            Map<String, String> cfg = new HashMap<>();
            cfg.put("server.bolt.enabled", "true");
            cfg.put("server.bolt.listen_address", host + ":" + port);
            cfg.put("server.bolt.advertised_address", host + ":" + port);
            cfg.put("server.http.enabled", "true");
            cfg.put("server.http.listen_address", host + ":" + browserPort);
            cfg.put("server.http.advertised_address", host + ":" + browserPort);
            cfg.put("server.https.enabled", "false");
            cfg.put("dbms.security.auth_enabled", String.valueOf(auth));
            cfg.put("server.memory.pagecache.size", opts.getOrDefault("pagecache", "512m"));
            cfg.put("db.tx_log.rotation.retention_policy", txLogRetention);
            cfg.put("db.tx_log.rotation.size", "64m");
            cfg.put("db.logs.query.parameter_logging_enabled", "false");
            cfg.put("dbms.usage_report.enabled", "false");
            cfg.put(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time.name(),
                    BOLT_SHUTDOWN_WAIT.toMillis() + "ms");
            cfg.put(BoltConnectorInternalSettings.connection_shutdown_wait_time.name(),
                    BOLT_SHUTDOWN_WAIT.toMillis() + "ms");
            int rc = boot.start(home, cfg);
            if (rc != 0) {
                System.exit(rc);
            }
            dbms = boot.getDatabaseManagementService();
            shutdown = boot::stop;
            System.out.println("neo4j-local: Neo4j Browser at http://" + host + ":" + browserPort
                    + "/browser/");
        } else {
            dbms = new DatabaseManagementServiceBuilder(home)
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                    .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                    .setConfig(HttpConnector.enabled, false)
                    .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time,
                            BOLT_SHUTDOWN_WAIT)
                    .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time,
                            BOLT_SHUTDOWN_WAIT)
                    .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                    .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
                    .setConfig(GraphDatabaseSettings.keep_logical_logs, txLogRetention)
                    .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold,
                            ByteUnit.mebiBytes(64))
                    // Query parameters hold customers' personal data: never write them to logs.
                    .setConfig(GraphDatabaseSettings.log_queries_parameter_logging_enabled, false)
                    .build();
            DatabaseManagementService embedded = dbms;
            shutdown = embedded::shutdown;
        }

        try {
            if (auth && password != null && !password.isEmpty()) {
                setPassword(dbms, password);
            }
        } catch (RuntimeException e) {
            // Do not leave a half-started JVM behind: the manager sees the exit at once.
            e.printStackTrace();
            shutdown.run();
            System.exit(2);
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("neo4j-local: shutting down");
            shutdown.run();
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
