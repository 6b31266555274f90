package org.cil4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.Iterator;
import org.cil4j.data.ImageDataset;
import org.cil4j.model.IncrementalNet;
import org.cil4j.scenario.Scenario;
import org.cil4j.train.Augment;
import org.cil4j.train.BatchStream;
import org.cil4j.train.HostBatch;
import org.cil4j.train.Normalization;

/**
 * Evaluates a network after a phase on the test samples of every class seen so far, with the
 * network's own output (task-agnostic and task-aware) and, when class means are given, the
 * nearest-mean-of-exemplars rule.
 */
public final class Evaluator {
    private Evaluator() {}

    /**
     * @param root manager for temporaries
     * @param net the network (its heads cover exactly the seen classes)
     * @param test relabelled test samples of the seen classes
     * @param scenario the scenario
     * @param phase the phase just trained
     * @param norm input normalization
     * @param batchSize evaluation batch size
     * @param classMeans L2-normalized class means in incremental order, or null
     * @return the accuracies
     */
    public static PhaseEval evaluate(
            NDManager root,
            IncrementalNet net,
            ImageDataset test,
            Scenario scenario,
            int phase,
            Normalization norm,
            int batchSize,
            float[][] classMeans) {
        int seen = scenario.seen(phase);
        int phases = phase + 1;
        long[] cnn = new long[phases];
        long[] aware = new long[phases];
        long[] nme = new long[phases];
        int[] counts = new int[phases];
        double[] featureNormSum = new double[seen];
        int[] classCounts = new int[seen];
        long top5 = 0;
        BatchStream stream = new BatchStream(test, norm, Augment.NONE, batchSize);
        Iterator<HostBatch> it = stream.sequential();
        NDArray means = null;
        NDArray meanSq = null;
        try (NDManager meanManager = root.newSubManager()) {
            if (classMeans != null) {
                float[] flat = new float[seen * classMeans[0].length];
                for (int c = 0; c < seen; c++) {
                    System.arraycopy(classMeans[c], 0, flat, c * classMeans[0].length, classMeans[0].length);
                }
                means = meanManager.create(flat, new Shape(seen, classMeans[0].length));
                meanSq = means.square().sum(new int[] {1}).reshape(1, seen);
            }
            while (it.hasNext()) {
                HostBatch hb = it.next();
                try (NDManager m = root.newSubManager()) {
                    NDArray x = m.create(
                            FloatBuffer.wrap(hb.pixels()),
                            new Shape(hb.size(), test.channels(), test.height(), test.width()));
                    NDArray f = net.features(x, false);
                    float[] logits = net.logits(f).toFloatArray();
                    float[] fNorm = f.norm(new int[] {1}).toFloatArray();
                    int[] nmePred = null;
                    if (means != null) {
                        NDArray fn = IncrementalNet.l2normalize(f);
                        // squared distance up to the constant |f|^2 = 1: |mu|^2 - 2 f.mu
                        NDArray d = fn.matMul(means.transpose()).mul(-2).add(meanSq);
                        long[] p = d.argMin(1).toLongArray();
                        nmePred = new int[p.length];
                        for (int i = 0; i < p.length; i++) {
                            nmePred[i] = (int) p[i];
                        }
                    }
                    for (int i = 0; i < hb.size(); i++) {
                        int y = hb.labels()[i];
                        int ph = scenario.phaseOf(y);
                        counts[ph]++;
                        featureNormSum[y] += fNorm[i];
                        classCounts[y]++;
                        int off = i * seen;
                        if (argMax(logits, off, 0, seen) == y) {
                            cnn[ph]++;
                        }
                        if (argMax(logits, off, scenario.start(ph), scenario.seen(ph)) == y) {
                            aware[ph]++;
                        }
                        if (nmePred != null && nmePred[i] == y) {
                            nme[ph]++;
                        }
                        if (inTop(logits, off, seen, y, 5)) {
                            top5++;
                        }
                    }
                }
            }
        }
        int total = 0;
        for (int c : counts) {
            total += c;
        }
        double[] featureNorms = new double[seen];
        for (int c = 0; c < seen; c++) {
            featureNorms[c] = classCounts[c] == 0 ? Double.NaN : featureNormSum[c] / classCounts[c];
        }
        return new PhaseEval(
                pct(cnn, counts),
                pct(aware, counts),
                classMeans == null ? null : pct(nme, counts),
                counts,
                total == 0 ? 0 : 100.0 * top5 / total,
                featureNorms);
    }

    private static double[] pct(long[] hits, int[] counts) {
        double[] out = new double[hits.length];
        for (int i = 0; i < hits.length; i++) {
            out[i] = counts[i] == 0 ? 0 : 100.0 * hits[i] / counts[i];
        }
        return out;
    }

    private static int argMax(float[] v, int off, int from, int to) {
        int best = from;
        for (int k = from + 1; k < to; k++) {
            if (v[off + k] > v[off + best]) {
                best = k;
            }
        }
        return best;
    }

    private static boolean inTop(float[] v, int off, int n, int y, int k) {
        int higher = 0;
        for (int c = 0; c < n; c++) {
            if (v[off + c] > v[off + y]) {
                higher++;
            }
        }
        return higher < k;
    }
}
