package org.cil4j.serve;

import io.javalin.Javalin;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.cil4j.engine.Engines;
import org.cil4j.serve.app.Service;
import org.cil4j.serve.app.Tokens;
import org.cil4j.serve.http.Api;
import org.cil4j.serve.store.Db;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cil serve}: the database, the use cases and the HTTP API, started together and stopped
 * together. Everything lives under the home folder: the SQLite database (unless a PostgreSQL URL
 * is given), the blobs, the versions' files and the running phase's checkpoints.
 */
public final class CilServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CilServer.class);

    /**
     * How to start.
     *
     * @param home the home folder (created)
     * @param port TCP port (0: any free one)
     * @param host address to bind
     * @param db a {@code jdbc:postgresql:} URL, or null for SQLite under the home folder
     * @param threads engine threads (0: one per core)
     * @param limits request limits
     * @param maxRequestBytes largest request body
     */
    public record Options(
            Path home, int port, String host, String db, int threads, Service.Limits limits, long maxRequestBytes) {
        /**
         * @param home the home folder
         * @param port the port
         * @return defaults for the rest
         */
        public static Options of(Path home, int port) {
            return new Options(home, port, "0.0.0.0", null, 0, Service.Limits.DEFAULT, 64L << 20);
        }

        /**
         * @param url a {@code jdbc:postgresql:} URL, or null for SQLite
         * @return these options on that database
         */
        public Options withDb(String url) {
            return new Options(home, port, host, url, threads, limits, maxRequestBytes);
        }
    }

    private final Db db;
    private final Service service;
    private final Javalin app;
    private final String adminToken;
    private final PrometheusMeterRegistry metrics;

    private CilServer(Db db, Service service, Javalin app, String adminToken, PrometheusMeterRegistry metrics) {
        this.db = db;
        this.metrics = metrics;
        this.service = service;
        this.app = app;
        this.adminToken = adminToken;
    }

    /**
     * Opens the database, recovers what a stop interrupted, and starts answering.
     *
     * @param o the options
     * @return the running server
     */
    public static CilServer start(Options o) {
        try {
            Files.createDirectories(o.home());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the home folder " + o.home() + ": " + e.getMessage(), e);
        }
        Engines.start("cpu", o.threads());
        Db db = Db.open(o.db(), o.home());
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Service service = new Service(db, o.home(), o.limits(), metrics);
        Tokens tokens = new Tokens(db);
        Optional<Tokens.Issued> admin = tokens.bootstrap();
        new JvmMemoryMetrics().bindTo(metrics);
        Gauge.builder("cil_predict_queue_images", service, Service::predictQueueDepth)
                .description("images waiting to be predicted")
                .register(metrics);
        io.micrometer.core.instrument.FunctionCounter.builder("cil_predict_batches", service, s -> s.predictCounts()[0])
                .description("prediction batches run")
                .register(metrics);
        io.micrometer.core.instrument.FunctionCounter.builder("cil_predict_images", service, s -> s.predictCounts()[1])
                .description("images predicted")
                .register(metrics);
        Gauge.builder("cil_phase_running", service, s -> s.phaseProgress().size())
                .description("phases training now")
                .register(metrics);
        Gauge.builder(
                        "cil_phase_stage_fraction",
                        service,
                        s -> s.phaseProgress().values().stream()
                                .mapToDouble(Double::doubleValue)
                                .max()
                                .orElse(0))
                .description("how far the running phase's current stage is (0..1)")
                .register(metrics);
        Gauge.builder("cil_storage_kept_bytes", service, s -> s.storageTotals()[0])
                .description("bytes of kept samples, all classifiers")
                .register(metrics);
        Gauge.builder("cil_storage_budget_bytes", service, s -> s.storageTotals()[1])
                .description("storage budgets, all classifiers")
                .register(metrics);
        service.start();
        Javalin app = Api.create(service, tokens, metrics, o.maxRequestBytes()).start(o.host(), o.port());
        LOG.info(
                "cil serve: listening on http://{}:{}/ with {}; home {}",
                o.host(),
                app.port(),
                db.describe(),
                o.home());
        return new CilServer(db, service, app, admin.map(Tokens.Issued::secret).orElse(null), metrics);
    }

    /** @return the port it listens on */
    public int port() {
        return app.port();
    }

    /** @return the admin token made at this first start, if it was the first */
    public Optional<String> firstAdminToken() {
        return Optional.ofNullable(adminToken);
    }

    /** @return the HTTP routes the app registered, which {@code /openapi.json} describes */
    public java.util.List<Api.Route> routes() {
        return Api.routes(app);
    }

    /** @return the meters {@code /metrics} shows */
    public io.micrometer.core.instrument.MeterRegistry metrics() {
        return metrics;
    }

    /** @return the use cases */
    public Service service() {
        return service;
    }

    @Override
    public void close() {
        app.stop();
        service.close();
        db.close();
    }
}
