package org.cil4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.cil4j.serve.CilServer;
import org.cil4j.serve.app.Service;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cil serve}: the service (see the README's walk-through). */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Serve classifiers that learn new classes over HTTP, under a storage budget.",
            "Everything lives under --home: the SQLite database, the stored samples, the versions.",
            "On the first start an admin token is printed once; keep it."
        })
public final class ServeCommand implements Callable<Integer> {
    @Option(
            names = "--home",
            defaultValue = "cil-home",
            description = "the service's folder (default: ${DEFAULT-VALUE})")
    Path home;

    @Option(
            names = "--port",
            defaultValue = "8080",
            description = "TCP port (default: ${DEFAULT-VALUE}; 0: any free one)")
    int port;

    @Option(
            names = "--host",
            defaultValue = "0.0.0.0",
            description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(
            names = "--db",
            description = "a jdbc:postgresql://host/db?user=..&password=.. URL instead of SQLite under --home")
    String db;

    @Option(names = "--threads", defaultValue = "0", description = "engine threads (0: one per core)")
    int threads;

    @Option(
            names = "--max-batch",
            defaultValue = "64",
            description = "most images in one prediction batch (default: ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(
            names = "--max-delay-ms",
            defaultValue = "0",
            description =
                    "how long a batch waits after its first request for more (default: ${DEFAULT-VALUE}: none; requests"
                            + " that arrive during a forward pass form the next batch anyway; a few ms raise the throughput of a"
                            + " small network under heavy load)")
    long maxDelayMs;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw new org.cil4j.CilException("--port must be within 0..65535, got " + port);
        }
        if (maxBatch < 1 || maxDelayMs < 0) {
            throw new org.cil4j.CilException("--max-batch must be at least 1 and --max-delay-ms at least 0");
        }
        for (String quiet : new String[] {"org.eclipse.jetty", "com.zaxxer.hikari", "org.flywaydb", "io.javalin"}) {
            System.setProperty("org.slf4j.simpleLogger.log." + quiet, "warn");
        }
        Service.Limits d = Service.Limits.DEFAULT;
        Service.Limits limits = new Service.Limits(
                d.maxImageBytes(), d.maxImagesPerRequest(), d.maxPixels(), maxBatch, maxDelayMs, d.sweepSeconds());
        CilServer server = CilServer.start(new CilServer.Options(
                home.toAbsolutePath(),
                port,
                host,
                db,
                threads,
                limits,
                CilServer.Options.of(home, port).maxRequestBytes()));
        server.firstAdminToken().ifPresent(t -> {
            System.out.println("admin token (shown once, keep it): " + t);
            System.out.println("  export CIL_TOKEN=" + t);
        });
        System.out.println("cil serve: http://localhost:" + server.port() + "/ (operators' page), API under /v1,"
                + " /openapi.json, /metrics, /health");
        System.out.flush();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }
}
