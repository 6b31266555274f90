package org.cil4j.serve.app;

import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers predictions of one classifier from its active version. Requests wait in a queue; one
 * thread takes what is waiting, up to {@code maxBatch} images, and runs them through the network
 * together: requests that arrive during a forward pass form the next batch, so a lone request
 * never waits for company and a loaded service runs fewer, larger batches (continuous batching).
 * With {@code maxDelayMs > 0} the thread also waits that long after the first request for more
 * (dynamic batching as djl-serving and Triton do it). Measured (docs/BENCHMARKS.md): a 5 ms
 * wait cost a lone request its 5 ms; for ResNet-32 it did not raise throughput at 32 clients
 * (372 against 383 requests/s without it), whose forward pass is long enough for a queue to
 * form; for the small CNN at 64 clients it did (1,470 against 948). The model in
 * memory is immutable; activating another version swaps the reference between two batches, so
 * every answer comes whole from one version.
 */
final class Predictor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Predictor.class);

    /**
     * A version as the predictor serves it.
     *
     * @param manifest what the version is (its classes, forgotten ones included)
     * @param dir its folder
     */
    record Model(VersionManifest manifest, Path dir) {
        int version() {
            return manifest.version();
        }
    }

    /** @param top the best classes of one image, best first */
    record Prediction(List<VersionNet.Scored> top) {}

    /**
     * @param version the version that answered
     * @param predictions one per image, in request order
     */
    record Answer(int version, List<Prediction> predictions) {}

    private record Request(List<byte[]> images, int topK, CompletableFuture<Answer> done, long queuedAt) {}

    private final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    /**
     * Smallest batch that runs on all the engine's threads; smaller ones run on one. A ResNet-32
     * forward pass of one 32x32 image took 5.6-5.9 ms on one thread and 9.3 ms on two (2 cores);
     * of 32 images, 47 ms on one and 30 ms on two; 8 images about the same either way. On a busy
     * machine (clients, a training phase) the gap at small batches grows: 7.8 ms against 102 ms
     * for a 31-convolution stack, as the threads of one operator wait for each other.
     */
    static final int PARALLEL_FROM = 8;

    private final int maxBatch;
    private final long maxDelayNanos;
    private final Timer waitTimer;
    private final Timer forwardTimer;
    private final Thread thread;
    private final AtomicInteger queued = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong batches = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong images = new java.util.concurrent.atomic.AtomicLong();
    private volatile Model wanted;
    private volatile boolean stopped;
    private Model loaded;
    private VersionNet net;

    Predictor(String name, int maxBatch, long maxDelayMs, Timer waitTimer, Timer forwardTimer) {
        this.maxBatch = maxBatch;
        this.waitTimer = waitTimer;
        this.forwardTimer = forwardTimer;
        this.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(maxDelayMs);
        this.thread = new Thread(this::loop, "cil4j-predict-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** @param m the version to serve from the next batch on (null: none) */
    void serve(Model m) {
        wanted = m;
    }

    /** @return the version being served, or null */
    Model serving() {
        return wanted;
    }

    /** @return batches run and images predicted since the start */
    long[] counts() {
        return new long[] {batches.get(), images.get()};
    }

    /** @return images waiting */
    int queueDepth() {
        return queued.get();
    }

    CompletableFuture<Answer> predict(List<byte[]> pixels, int topK) {
        CompletableFuture<Answer> f = new CompletableFuture<>();
        if (wanted == null) {
            f.completeExceptionally(ApiException.conflict("no version is active yet: train a phase first"));
            return f;
        }
        queued.addAndGet(pixels.size());
        queue.add(new Request(pixels, topK, f, System.nanoTime()));
        return f;
    }

    private void loop() {
        org.cil4j.engine.Engines.noGradOnThisThread();
        while (!stopped) {
            List<Request> batch = new ArrayList<>();
            try {
                Request first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                int images = first.images().size();
                long deadline = System.nanoTime() + maxDelayNanos;
                while (images < maxBatch) {
                    Request r = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (r == null) {
                        break;
                    }
                    batch.add(r);
                    images += r.images().size();
                }
                run(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.warn("a prediction batch failed: {}", e.toString());
                for (Request r : batch) {
                    r.done().completeExceptionally(e);
                }
            } finally {
                for (Request r : batch) {
                    queued.addAndGet(-r.images().size());
                }
            }
        }
    }

    private void run(List<Request> batch) {
        long start = System.nanoTime();
        for (Request r : batch) {
            waitTimer.record(start - r.queuedAt(), TimeUnit.NANOSECONDS);
        }
        Model m = wanted;
        if (m == null) {
            throw ApiException.conflict("no version is active");
        }
        if (loaded == null || loaded.version() != m.version()) {
            load(m);
        }
        List<byte[]> all = new ArrayList<>();
        for (Request r : batch) {
            all.addAll(r.images());
        }
        org.cil4j.engine.Engines.threadsOnThisThread(
                all.size() < PARALLEL_FROM ? 1 : org.cil4j.engine.Engines.threads());
        batches.incrementAndGet();
        images.addAndGet(all.size());
        float[] logits = net.logits(all);
        int at = 0;
        for (Request r : batch) {
            List<Prediction> tops = new ArrayList<>();
            for (int i = 0; i < r.images().size(); i++, at++) {
                tops.add(new Prediction(VersionNet.top(m.manifest(), logits, at, r.topK())));
            }
            r.done().complete(new Answer(m.version(), tops));
        }
        forwardTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    private void load(Model m) {
        unload();
        net = VersionNet.load(m.manifest(), m.dir());
        loaded = m;
        LOG.info("serving version {} ({} classes)", m.version(), m.manifest().classIds().length);
    }

    private void unload() {
        if (net != null) {
            net.close();
            net = null;
        }
        loaded = null;
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        unload();
        Request r;
        while ((r = queue.poll()) != null) {
            r.done().completeExceptionally(new ApiException(503, null, "the service is stopping"));
        }
    }
}
