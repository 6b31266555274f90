package org.cil4j.serve.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.cil4j.data.ImageDataset;
import org.cil4j.model.IncrementalNet;
import org.cil4j.train.Augment;
import org.cil4j.train.BatchStream;
import org.cil4j.train.HostBatch;

/**
 * A trained version's network in memory, and the arithmetic of a prediction: logits of a batch
 * of decoded images, then the top classes by softmax over the classes not forgotten. The
 * service's {@link Predictor} and the Spark module's batch scoring both predict through it.
 * Not thread-safe: one caller at a time.
 */
public final class VersionNet implements AutoCloseable {
    /**
     * One prediction.
     *
     * @param classId stable class id
     * @param name class name
     * @param score softmax probability over the classes that are not forgotten
     */
    public record Scored(int classId, @JsonProperty("class") String name, double score) {}

    private final VersionManifest manifest;
    private final NDManager manager;
    private final IncrementalNet net;

    private VersionNet(VersionManifest m, NDManager manager, IncrementalNet net) {
        this.manifest = m;
        this.manager = manager;
        this.net = net;
    }

    /**
     * Builds the network of a version and loads its weights.
     *
     * @param m the version's manifest
     * @param dir the version's folder
     * @return the network, ready to predict
     */
    public static VersionNet load(VersionManifest m, Path dir) {
        NDManager manager = NDManager.newBaseManager();
        IncrementalNet net = null;
        try {
            net = IncrementalNet.create(
                    m.spec().model(),
                    m.spec().channels(),
                    m.spec().imageSize(),
                    m.spec().seed(),
                    manager);
            for (int h : m.heads()) {
                net.addHead(h);
            }
            PhaseRunner.loadNet(dir, net, manager);
            return new VersionNet(m, manager, net);
        } catch (RuntimeException e) {
            if (net != null) {
                net.close();
            }
            manager.close();
            throw e;
        }
    }

    /** @return the manifest of the version in memory */
    public VersionManifest manifest() {
        return manifest;
    }

    /**
     * @param pixels decoded images at the version's input size ({@code channels * size * size} bytes each)
     * @return the logits, {@code classIds.length} per image, in order
     */
    public float[] logits(List<byte[]> pixels) {
        ClassifierSpec spec = manifest.spec();
        int size = (int) spec.sampleBytes();
        byte[] px = new byte[pixels.size() * size];
        for (int i = 0; i < pixels.size(); i++) {
            System.arraycopy(pixels.get(i), 0, px, i * size, size);
        }
        int seen = manifest.classIds().length;
        ImageDataset d = new ImageDataset(
                "predict",
                px,
                new int[pixels.size()],
                spec.channels(),
                spec.imageSize(),
                spec.imageSize(),
                List.of(manifest.classNames()));
        float[] logits = new float[pixels.size() * seen];
        Iterator<HostBatch> it =
                new BatchStream(d, manifest.norm(), Augment.NONE, Math.max(1, pixels.size())).sequential();
        int done = 0;
        while (it.hasNext()) {
            HostBatch hb = it.next();
            try (NDManager sub = manager.newSubManager()) {
                NDArray x = sub.create(
                        FloatBuffer.wrap(hb.pixels()),
                        new Shape(hb.size(), spec.channels(), spec.imageSize(), spec.imageSize()));
                float[] out = net.logits(net.features(x, false)).toFloatArray();
                System.arraycopy(out, 0, logits, done * seen, out.length);
                done += hb.size();
            }
        }
        return logits;
    }

    /**
     * @param m the version's manifest (its forgotten classes are left out)
     * @param logits what {@link #logits} returned
     * @param image the image's index in that batch
     * @param k how many classes
     * @return the image's best classes, best first
     */
    public static List<Scored> top(VersionManifest m, float[] logits, int image, int k) {
        int seen = m.classIds().length;
        int off = image * seen;
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < seen; c++) {
            if (!m.forgotten()[c]) {
                max = Math.max(max, logits[off + c]);
            }
        }
        double[] p = new double[seen];
        double sum = 0;
        for (int c = 0; c < seen; c++) {
            p[c] = m.forgotten()[c] ? 0 : Math.exp(logits[off + c] - max);
            sum += p[c];
        }
        List<Integer> idx = new ArrayList<>();
        for (int c = 0; c < seen; c++) {
            if (!m.forgotten()[c]) {
                idx.add(c);
            }
        }
        idx.sort((a, b) -> Double.compare(p[b], p[a]));
        List<Scored> out = new ArrayList<>();
        for (int i = 0; i < Math.min(k, idx.size()); i++) {
            int c = idx.get(i);
            out.add(new Scored(m.classIds()[c], m.classNames()[c], p[c] / sum));
        }
        return out;
    }

    @Override
    public void close() {
        net.close();
        manager.close();
    }
}
