package org.cil4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.cil4j.CilException;
import org.cil4j.checkpoint.CheckpointStore;
import org.cil4j.data.Datasets;
import org.cil4j.data.ImageDataset;
import org.cil4j.serve.CilServer;
import org.cil4j.serve.app.Service;
import org.cil4j.serve.client.CilClient;
import org.cil4j.serve.store.ScratchDatabase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cil bench serve}: prediction throughput and latency of {@code cil serve} over HTTP on
 * loopback, at several numbers of concurrent clients, each sending one image per request.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Measure cil serve's predictions over HTTP on loopback: requests per second and latency"
                    + " percentiles at several numbers of concurrent clients (one image per request), on a"
                    + " Fashion-MNIST classifier trained for the purpose; print a Markdown table."
        })
public final class BenchServeCommand implements Callable<Integer> {
    @Option(
            names = "--clients",
            split = ",",
            defaultValue = "1,8,32",
            description = "concurrent clients, one run each (default: ${DEFAULT-VALUE})")
    List<Integer> clients;

    @Option(names = "--seconds", defaultValue = "10", description = "timed seconds per run (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(
            names = "--warmup-seconds",
            defaultValue = "3",
            description = "untimed seconds before each run (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(
            names = "--preset",
            defaultValue = "tin100-32",
            description = "tin100-32 (ResNet-32, 32x32x3; default) or fmnist (small CNN, 28x28x1)")
    String preset;

    @Option(names = "--idle-only", description = "do not measure again while a phase trains")
    boolean idleOnly;

    @Option(names = "--threads", defaultValue = "0", description = "engine threads (0: one per core)")
    int threads;

    @Option(
            names = "--max-batch",
            defaultValue = "64",
            description = "the service's largest prediction batch (default: ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(
            names = "--replicas",
            split = ",",
            paramLabel = "N",
            description =
                    "replica counts to compare (e.g. 1,2): the service then runs as that many `cil serve` processes"
                            + " on one fresh PostgreSQL database made through --db, the clients spread over them in turn as a"
                            + " load balancer would; without it the service runs inside this process")
    List<Integer> replicas;

    @Option(
            names = "--db",
            description = "with --replicas: a jdbc:postgresql://host[:port]/db?user=..&password=.. URL of a"
                    + " user that may create databases; a scratch database is made there and dropped after"
                    + " (default: the CIL4J_TEST_PG environment variable)")
    String db;

    @Option(
            names = "--max-delay-ms",
            defaultValue = "0",
            description = "the service's batching wait (default: ${DEFAULT-VALUE})")
    long maxDelayMs;

    @Override
    public Integer call() throws Exception {
        if (seconds < 1 || warmup < 0 || clients.stream().anyMatch(c -> c < 1)) {
            throw new CilException(
                    "--seconds must be at least 1, --warmup-seconds at least 0 and every --clients at least 1");
        }
        if (replicas != null && replicas.stream().anyMatch(n -> n < 1)) {
            throw new CilException("every --replicas count must be at least 1, got " + replicas);
        }
        for (String quiet :
                new String[] {"org.eclipse.jetty", "com.zaxxer.hikari", "org.flywaydb", "io.javalin", "org.cil4j"}) {
            System.setProperty("org.slf4j.simpleLogger.log." + quiet, "warn");
        }
        Path home = Files.createTempDirectory("cil-bench-serve-");
        try {
            ImageDataset train = Datasets.load("fashion-mnist", null).train();
            if (replicas == null) {
                inProcess(home, train);
            } else {
                replicated(home, train);
            }
            System.out.printf(
                    Locale.ROOT,
                    "%npeak resident memory of this process (%s): %d MiB%n",
                    replicas == null ? "service and clients" : "the clients",
                    org.cil4j.experiment.MemoryProbe.peakRssMb());
        } finally {
            CheckpointStore.deleteTree(home);
        }
        return 0;
    }

    private void inProcess(Path home, ImageDataset train) throws Exception {
        Service.Limits d = Service.Limits.DEFAULT;
        CilServer.Options o = new CilServer.Options(
                home,
                0,
                "127.0.0.1",
                null,
                threads,
                new Service.Limits(
                        d.maxImageBytes(),
                        d.maxImagesPerRequest(),
                        d.maxPixels(),
                        maxBatch,
                        maxDelayMs,
                        d.sweepSeconds()),
                CilServer.Options.of(home, 0).maxRequestBytes());
        try (CilServer server = CilServer.start(o)) {
            CilClient c = new CilClient(
                    "http://127.0.0.1:" + server.port(),
                    server.firstAdminToken().orElseThrow());
            byte[] image = prepare(c, train, "in this process");
            Meter meter = new Meter(server);
            table(List.of(c), image, "idle", meter);
            if (!idleOnly) {
                String job = startLongPhase(c, train);
                table(List.of(c), image, "while a phase trains", meter);
                System.out.println(
                        "(the phase was still " + c.job(job).path("state").asText() + " when the last row ended)");
            }
        }
    }

    private void replicated(Path home, ImageDataset train) throws Exception {
        String admin = db != null ? db : System.getenv("CIL4J_TEST_PG");
        if (admin == null || admin.isBlank()) {
            throw new CilException(
                    "--replicas needs --db jdbc:postgresql://host[:port]/db?user=..&password=.. (a user that may"
                            + " create databases), or CIL4J_TEST_PG set to one");
        }
        int most = replicas.stream().mapToInt(Integer::intValue).max().orElseThrow();
        List<Replica> rs = new ArrayList<>();
        try (ScratchDatabase scratch = ScratchDatabase.create(admin, "cil_bench_")) {
            try {
                for (int i = 0; i < most; i++) { // one after the other: the first makes the admin token
                    rs.add(Replica.start(home, scratch.url(), i, threads, maxBatch, maxDelayMs));
                }
                String token = rs.get(0)
                        .token()
                        .orElseThrow(() -> new CilException("the first replica printed no admin token"));
                List<CilClient> cs = rs.stream()
                        .map(r -> new CilClient("http://127.0.0.1:" + r.port(), token))
                        .toList();
                byte[] image = prepare(
                        cs.get(0), train, most + " `cil serve` processes on PostgreSQL (" + scratch.name() + ")");
                for (CilClient c : cs) { // every replica has loaded the active version before the clock starts
                    c.predict("bench", List.of(image), 1);
                }
                for (int n : replicas) {
                    table(cs.subList(0, n), image, "idle, " + n + (n == 1 ? " replica" : " replicas"), null);
                }
                if (!idleOnly) {
                    String job = startLongPhase(cs.get(0), train);
                    for (int n : replicas) {
                        table(
                                cs.subList(0, n),
                                image,
                                "while a phase trains, " + n + (n == 1 ? " replica" : " replicas"),
                                null);
                    }
                    System.out.println("(the phase was still "
                            + cs.get(0).job(job).path("state").asText() + " when the last row ended)");
                }
                for (Replica r : rs) {
                    System.out.printf(
                            Locale.ROOT, "peak resident memory of replica %d: %d MiB%n", r.index() + 1, r.peakRssMb());
                }
            } finally {
                for (Replica r : rs) {
                    r.close();
                }
            }
        }
    }

    /** Creates the classifier, trains its first version and prints the table's caption; @return the image to send */
    private byte[] prepare(CilClient c, ImageDataset train, String where) throws Exception {
        ObjectNode spec = new ObjectMapper()
                .createObjectNode()
                .put("name", "bench")
                .put("preset", preset)
                .put("method", "finetune");
        spec.putObject("train")
                .put("epochs", 20)
                .put("batchSize", 32); // the second phase outlasts the rows measured during it
        c.createClassifier(spec);
        List<CilClient.Sample> up = samples(train, 0, 2, 100);
        c.upload("bench", up);
        c.awaitJob(c.startPhase("bench").path("id").asText(), Duration.ofMinutes(10));
        byte[] image = up.get(0).image();
        System.out.printf(
                Locale.ROOT,
                "cil bench serve: %s classifier served by %s, one %d-byte PNG per request,"
                        + " max batch %d, batching wait %d ms, %d cores, engine threads %s%n%n",
                preset,
                where,
                image.length,
                maxBatch,
                maxDelayMs,
                Runtime.getRuntime().availableProcessors(),
                threads == 0 ? "one per core" : threads);
        return image;
    }

    /** Two more classes and a long phase: predictions keep coming from version 1 meanwhile. @return the phase's job id */
    private static String startLongPhase(CilClient c, ImageDataset train) throws Exception {
        List<CilClient.Sample> more = samples(train, 2, 4, 300);
        for (int i = 0; i < more.size(); i += 200) {
            c.upload("bench", more.subList(i, Math.min(more.size(), i + 200)));
        }
        String job = c.startPhase("bench").path("id").asText();
        while (c.job(job).path("progress").path("epoch").asInt(0) < 1) {
            Thread.sleep(200);
        }
        return job;
    }

    private void table(List<CilClient> cs, byte[] image, String when, Meter meter) throws Exception {
        System.out.println("Predictions " + when + ":");
        System.out.println();
        System.out.println("| clients | requests/s | p50 ms | p90 ms | p99 ms | max ms"
                + (meter == null
                        ? " |"
                        : " | images per batch | in the server ms | decode ms | queue ms | batch ms |"));
        System.out.println("|---:|---:|---:|---:|---:|---:|" + (meter == null ? "" : "---:|---:|---:|---:|---:|"));
        for (int n : clients) {
            run(cs, image, n, warmup, false);
            Meter.Reading before = meter == null ? null : meter.read();
            Result r = run(cs, image, n, seconds, true);
            Histogram h = r.latency();
            System.out.printf(
                    Locale.ROOT,
                    "| %d | %.0f | %.1f | %.1f | %.1f | %.1f |",
                    n,
                    r.requests() / (double) seconds,
                    h.getValueAtPercentile(50) / 1e3,
                    h.getValueAtPercentile(90) / 1e3,
                    h.getValueAtPercentile(99) / 1e3,
                    h.getMaxValue() / 1e3);
            if (meter != null) {
                Meter.Reading after = meter.read();
                System.out.printf(
                        Locale.ROOT,
                        " %.1f | %.1f | %.1f | %.1f | %.1f |",
                        after.imagesPerBatch(before),
                        after.meanMs(before, 0),
                        after.meanMs(before, 1),
                        after.meanMs(before, 2),
                        after.meanMs(before, 3));
            }
            System.out.println();
        }
        System.out.println();
        if (meter != null) {
            System.out.println("(latency as the clients saw it; the last four columns are means from the service's own"
                    + " timers: a prediction request from routing to its answer, its images' decoding, its wait for a"
                    + " batch, and the batch's forward pass with scoring)");
            System.out.println();
        }
    }

    /** The service's prediction counters and timers, read together (in-process only). */
    private record Meter(CilServer server) {
        private static final String[] STAGES = {"decode", "wait", "forward"};

        record Reading(long[] batches, long[] count, double[] totalMs) {
            double imagesPerBatch(Reading before) {
                return (batches[1] - before.batches[1]) / (double) Math.max(1, batches[0] - before.batches[0]);
            }

            double meanMs(Reading before, int i) {
                long n = count[i] - before.count[i];
                return n == 0 ? Double.NaN : (totalMs[i] - before.totalMs[i]) / n;
            }
        }

        Reading read() {
            MeterRegistry m = server.metrics();
            long[] n = new long[4];
            double[] t = new double[4];
            Timer http = m.find("cil_http_requests")
                    .tag("route", "/v1/classifiers/{name}/predict")
                    .tag("status", "200")
                    .timer();
            if (http != null) {
                n[0] = http.count();
                t[0] = http.totalTime(TimeUnit.MILLISECONDS);
            }
            for (int i = 0; i < STAGES.length; i++) {
                Timer x = m.find("cil_predict_stage").tag("stage", STAGES[i]).timer();
                if (x != null) {
                    n[i + 1] = x.count();
                    t[i + 1] = x.totalTime(TimeUnit.MILLISECONDS);
                }
            }
            return new Reading(server.service().predictCounts(), n, t);
        }
    }

    private record Result(long requests, Histogram latency) {}

    /** {@code clients} threads, client i sending to service {@code cs[i mod |cs|]}, for {@code secs} seconds. */
    private static Result run(List<CilClient> cs, byte[] image, int clients, int secs, boolean record)
            throws Exception {
        long end = System.nanoTime() + secs * 1_000_000_000L;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<Histogram>> parts = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            CilClient c = cs.get(i % cs.size());
            parts.add(pool.submit(() -> {
                Histogram h = new Histogram(60_000_000L, 3); // microseconds, up to a minute
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    c.predict("bench", List.of(image), 1);
                    if (record) {
                        h.recordValue(Math.min(60_000_000L, (System.nanoTime() - t0) / 1000));
                    }
                }
                return h;
            }));
        }
        Histogram all = new Histogram(60_000_000L, 3);
        for (Future<Histogram> f : parts) {
            all.add(f.get());
        }
        pool.shutdown();
        return new Result(all.getTotalCount(), all);
    }

    /** The first {@code perClass} images of each class in {@code [from, to)}, as PNG uploads. */
    private static List<CilClient.Sample> samples(ImageDataset d, int from, int to, int perClass)
            throws java.io.IOException {
        List<CilClient.Sample> out = new ArrayList<>();
        for (int label = from; label < to; label++) {
            for (int i = 0, k = 0; i < d.size() && k < perClass; i++) {
                if (d.label(i) == label) {
                    out.add(new CilClient.Sample(d.classNames().get(label), org.cil4j.data.ImageBytes.png(d, i)));
                    k++;
                }
            }
        }
        return out;
    }
}
