package org.cil4j.train;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.cil4j.data.ImageDataset;
import org.cil4j.util.Rng;

/**
 * Turns a dataset into batches of normalized, augmented floats, prepared by a background
 * thread so that the engine never waits for data.
 *
 * <p>The order of samples and every augmentation draw depend only on the seed passed in, not
 * on thread timing: batch {@code b} of an epoch is built from its own random stream.
 */
public final class BatchStream {
    private final ImageDataset data;
    private final Normalization norm;
    private final Augment augment;
    private final int batchSize;

    /**
     * @param data the images, labels already in incremental order
     * @param norm normalization statistics
     * @param augment augmentation (use {@link Augment#NONE} for evaluation)
     * @param batchSize samples per batch
     */
    public BatchStream(ImageDataset data, Normalization norm, Augment augment, int batchSize) {
        this.data = data;
        this.norm = norm;
        this.augment = augment;
        this.batchSize = batchSize;
    }

    /** @return the number of samples */
    public int size() {
        return data.size();
    }

    /**
     * Batches of one training epoch: shuffled, augmented, prefetched. A final batch of a
     * single sample is dropped (batch norm cannot train on it).
     *
     * @param seed seed of this epoch's stream
     * @return an iterator over the epoch's batches; must be drained or the thread stops at
     *     the end of the epoch anyway since it is a daemon producing a bounded number of items
     */
    public Iterator<HostBatch> epoch(long seed) {
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Rng.shuffle(order, new SplittableRandom(seed));
        int n = order.length;
        if (n % batchSize == 1 && n > 1) {
            n--;
        }
        return prefetch(order, n, seed, augment);
    }

    /**
     * Batches in dataset order without augmentation, for evaluation and feature extraction.
     *
     * @return an iterator over all samples
     */
    public Iterator<HostBatch> sequential() {
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        return prefetch(order, order.length, 0, Augment.NONE);
    }

    /**
     * Draws {@code first} to {@code first + count - 1} of an endless sequence of passes over
     * {@code size} samples, each pass a fresh permutation drawn from (seed, pass number): every
     * sample comes once per pass, a batch may straddle two passes (or span several when it is
     * larger than the data). A stage's secondary data is read this way, step after step across
     * epochs, like the reserved-data layer of DR's release (a Caffe data layer that restarts at
     * the end of its database). The result depends only on the arguments, so a resumed stage
     * draws what the uninterrupted one would have.
     *
     * @param size number of samples (at least 1)
     * @param first position of the first draw in the sequence (0 for the first draw of a stage)
     * @param count number of draws
     * @param seed seed of the passes' permutations
     * @return sample positions in {@code [0, size)}
     */
    public static int[] cycle(int size, long first, int count, long seed) {
        if (size < 1 || first < 0 || count < 0) {
            throw new IllegalArgumentException(
                    "cycle over " + size + " samples from " + first + ", " + count + " draws");
        }
        int[] out = new int[count];
        int[] order = new int[size];
        long pass = -1;
        for (int i = 0; i < count; i++) {
            long g = first + i;
            if (g / size != pass) {
                pass = g / size;
                for (int k = 0; k < size; k++) {
                    order[k] = k;
                }
                Rng.shuffle(order, Rng.stream(seed, "pass", pass));
            }
            out[i] = order[(int) (g % size)];
        }
        return out;
    }

    /**
     * Builds one batch from explicit sample positions.
     *
     * @param idx positions in the dataset
     * @param rnd augmentation stream
     * @param aug augmentation to apply
     * @return the batch
     */
    public HostBatch make(int[] idx, SplittableRandom rnd, Augment aug) {
        int c = data.channels();
        int h = data.height();
        int w = data.width();
        int sz = c * h * w;
        float[] out = new float[idx.length * sz];
        int[] labels = new int[idx.length];
        byte[] px = data.pixels();
        float[] scale = new float[c];
        float[] shift = new float[c];
        for (int ch = 0; ch < c; ch++) {
            scale[ch] = 1f / (255f * norm.std()[ch]);
            shift[ch] = -norm.mean()[ch] / norm.std()[ch];
        }
        for (int b = 0; b < idx.length; b++) {
            int src = idx[b] * sz;
            labels[b] = data.label(idx[b]);
            int dy = 0;
            int dx = 0;
            if (aug.crop()) {
                dy = rnd.nextInt(2 * aug.pad() + 1) - aug.pad();
                dx = rnd.nextInt(2 * aug.pad() + 1) - aug.pad();
            }
            boolean flip = aug.flip() && rnd.nextBoolean();
            int dst = b * sz;
            for (int ch = 0; ch < c; ch++) {
                int sp = src + ch * h * w;
                int dp = dst + ch * h * w;
                float sc = scale[ch];
                float sh = shift[ch];
                for (int y = 0; y < h; y++) {
                    int sy = y + dy;
                    for (int x = 0; x < w; x++) {
                        int xx = flip ? w - 1 - x : x;
                        int sx = xx + dx;
                        float v = (sy < 0 || sy >= h || sx < 0 || sx >= w) ? 0f : (px[sp + sy * w + sx] & 0xff);
                        out[dp + y * w + x] = v * sc + sh;
                    }
                }
            }
        }
        return new HostBatch(out, labels, idx, idx.length);
    }

    private Iterator<HostBatch> prefetch(int[] order, int n, long seed, Augment aug) {
        int batches = (n + batchSize - 1) / batchSize;
        BlockingQueue<Object> queue = new ArrayBlockingQueue<>(3);
        Thread producer = new Thread(
                () -> {
                    try {
                        for (int b = 0; b < batches; b++) {
                            int from = b * batchSize;
                            int to = Math.min(n, from + batchSize);
                            int[] idx = java.util.Arrays.copyOfRange(order, from, to);
                            queue.put(make(idx, Rng.stream(seed, "augment", b), aug));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (RuntimeException e) {
                        try {
                            queue.put(e);
                        } catch (InterruptedException ie) {
                            Thread.currentThread().interrupt();
                        }
                    }
                },
                "cil4j-batches");
        producer.setDaemon(true);
        producer.start();
        return new Iterator<>() {
            private int taken;

            @Override
            public boolean hasNext() {
                if (taken >= batches) {
                    return false;
                }
                return true;
            }

            @Override
            public HostBatch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                try {
                    Object o = queue.take();
                    taken++;
                    if (o instanceof RuntimeException e) {
                        throw e;
                    }
                    return (HostBatch) o;
                } catch (InterruptedException e) {
                    producer.interrupt();
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for data", e);
                }
            }
        };
    }
}
