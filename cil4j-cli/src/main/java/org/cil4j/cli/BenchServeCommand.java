package org.cil4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.HdrHistogram.Histogram;
import org.cil4j.CilException;
import org.cil4j.checkpoint.CheckpointStore;
import org.cil4j.data.Datasets;
import org.cil4j.data.ImageDataset;
import org.cil4j.serve.CilServer;
import org.cil4j.serve.app.Service;
import org.cil4j.serve.client.CilClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cil bench serve}: prediction throughput and latency of {@code cil serve} over HTTP on
 * loopback, at several numbers of concurrent clients, each sending one image per request.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Measure cil serve's predictions over HTTP on loopback: requests per second and latency"
                + " percentiles at several numbers of concurrent clients (one image per request), on a"
                + " Fashion-MNIST classifier trained for the purpose; print a Markdown table."})
public final class BenchServeCommand implements Callable<Integer> {
    @Option(names = "--clients", split = ",", defaultValue = "1,8,32",
            description = "concurrent clients, one run each (default: ${DEFAULT-VALUE})")
    List<Integer> clients;

    @Option(names = "--seconds", defaultValue = "10", description = "timed seconds per run (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--warmup-seconds", defaultValue = "3", description = "untimed seconds before each run (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--preset", defaultValue = "tin100-32",
            description = "tin100-32 (ResNet-32, 32x32x3; default) or fmnist (small CNN, 28x28x1)")
    String preset;

    @Option(names = "--idle-only", description = "do not measure again while a phase trains")
    boolean idleOnly;

    @Option(names = "--threads", defaultValue = "0", description = "engine threads (0: one per core)")
    int threads;

    @Option(names = "--max-batch", defaultValue = "64", description = "the service's largest prediction batch (default: ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(names = "--max-delay-ms", defaultValue = "5", description = "the service's batching wait (default: ${DEFAULT-VALUE})")
    long maxDelayMs;

    @Override
    public Integer call() throws Exception {
        if (seconds < 1 || warmup < 0 || clients.stream().anyMatch(c -> c < 1)) {
            throw new CilException("--seconds must be at least 1, --warmup-seconds at least 0 and every --clients at least 1");
        }
        for (String quiet : new String[] {"org.eclipse.jetty", "com.zaxxer.hikari", "org.flywaydb", "io.javalin",
            "org.cil4j"}) {
            System.setProperty("org.slf4j.simpleLogger.log." + quiet, "warn");
        }
        Path home = Files.createTempDirectory("cil-bench-serve-");
        Service.Limits d = Service.Limits.DEFAULT;
        CilServer.Options o = new CilServer.Options(home, 0, "127.0.0.1", null, threads,
                new Service.Limits(d.maxImageBytes(), d.maxImagesPerRequest(), d.maxPixels(), maxBatch, maxDelayMs,
                        d.sweepSeconds()), CilServer.Options.of(home, 0).maxRequestBytes());
        ImageDataset train = Datasets.load("fashion-mnist", null).train();
        try (CilServer server = CilServer.start(o)) {
            CilClient c = new CilClient("http://127.0.0.1:" + server.port(), server.firstAdminToken().orElseThrow());
            ObjectNode spec = new ObjectMapper().createObjectNode().put("name", "bench").put("preset", preset)
                    .put("method", "finetune");
            spec.putObject("train").put("epochs", 20).put("batchSize", 32); // the second phase outlasts the rows measured during it
            c.createClassifier(spec);
            List<CilClient.Sample> up = samples(train, 0, 2, 100);
            c.upload("bench", up);
            c.awaitJob(c.startPhase("bench").path("id").asText(), Duration.ofMinutes(10));
            byte[] image = up.get(0).image();
            System.out.printf(Locale.ROOT, "cil bench serve: %s classifier, one %d-byte PNG per request, max batch %d,"
                    + " batching wait %d ms, %d cores, engine threads %s%n%n", preset, image.length, maxBatch, maxDelayMs,
                    Runtime.getRuntime().availableProcessors(), threads == 0 ? "one per core" : threads);
            table(server, c, image, "idle");
            if (!idleOnly) {
                // two more classes and a long phase: predictions keep coming from version 1 meanwhile
                List<CilClient.Sample> more = samples(train, 2, 4, 300);
                for (int i = 0; i < more.size(); i += 200) {
                    c.upload("bench", more.subList(i, Math.min(more.size(), i + 200)));
                }
                String job = c.startPhase("bench").path("id").asText();
                while (c.job(job).path("progress").path("epoch").asInt(0) < 1) {
                    Thread.sleep(200);
                }
                table(server, c, image, "while a phase trains");
                String state = c.job(job).path("state").asText();
                System.out.println("(the phase was still " + state + " when the last row ended)");
            }
            System.out.printf(Locale.ROOT, "%npeak resident memory of the process (service and clients): %d MiB%n",
                    org.cil4j.experiment.MemoryProbe.peakRssMb());
        } finally {
            CheckpointStore.deleteTree(home);
        }
        return 0;
    }

    private void table(CilServer server, CilClient c, byte[] image, String when) throws Exception {
        System.out.println("Predictions " + when + ":");
        System.out.println();
        System.out.println("| clients | requests/s | p50 ms | p90 ms | p99 ms | max ms | images per batch |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
        for (int n : clients) {
            run(c, image, n, warmup, false);
            long[] before = server.service().predictCounts();
            Result r = run(c, image, n, seconds, true);
            long[] after = server.service().predictCounts();
            double perBatch = (after[1] - before[1]) / (double) Math.max(1, after[0] - before[0]);
            Histogram h = r.latency();
            System.out.printf(Locale.ROOT, "| %d | %.0f | %.1f | %.1f | %.1f | %.1f | %.1f |%n", n,
                    r.requests() / (double) seconds, h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3,
                    h.getValueAtPercentile(99) / 1e3, h.getMaxValue() / 1e3, perBatch);
        }
        System.out.println();
    }

    private record Result(long requests, Histogram latency) {}

    private static Result run(CilClient c, byte[] image, int clients, int secs, boolean record) throws Exception {
        long end = System.nanoTime() + secs * 1_000_000_000L;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<Histogram>> parts = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
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
    private static List<CilClient.Sample> samples(ImageDataset d, int from, int to, int perClass) throws java.io.IOException {
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
