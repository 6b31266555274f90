package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.cil4j.CilException;
import org.cil4j.checkpoint.StateReader;
import org.cil4j.checkpoint.StateWriter;
import org.cil4j.data.ImageDataset;
import org.cil4j.loss.CrossEntropy;
import org.cil4j.memory.ExemplarMemory;
import org.cil4j.model.IncrementalNet;
import org.cil4j.train.Batch;
import org.cil4j.train.StepLoss;
import org.cil4j.util.Rng;

/**
 * DER++, dark experience replay (Buzzega, Boschini, Porrello, Abati, Calderara, Dark Experience
 * for General Continual Learning: a Strong, Simple Baseline, NeurIPS 2020), as Mammoth's {@code
 * models/derpp.py} and {@code utils/buffer.py} train it.
 *
 * <p>A buffer holds images with their labels and the logits the network gave them, chosen by
 * reservoir sampling over every training image offered so far (Vitter's algorithm R, Mammoth's
 * {@code reservoir}: the {@code n}-th image offered takes a free slot while there is one, else
 * replaces slot {@code j} when a uniform {@code j} in {@code [0, n]} is below the capacity), so
 * the buffer stays a uniform sample of the stream; the draws come from the seed's "reservoir"
 * streams. Each step after the first phase trains on a batch of new images and two batches of
 * buffered ones: {@code CE(new) + alpha * MSE(logits of buffer batch 1, their stored logits) +
 * beta * CE(buffer batch 2, their labels)}, each batch a separate forward pass as in Mammoth
 * (batch norm sees three batches). The buffer's batches are the recipe's batch size, or the
 * buffer's size when smaller (Mammoth's {@code minibatch_size}, set to the batch size in its
 * best arguments), with the recipe's augmentation.
 *
 * <p>The buffer's size is fixed for the run, as Mammoth's {@code buffer_size}: {@code
 * memoryBudget} images, or without a budget {@code memoryPerClass} times the scenario's classes,
 * the memory that replay's per-class policy reaches after the last phase. Unlike replay's memory
 * the reservoir fills to its capacity from the first phase on.
 *
 * <p>Deviations. Mammoth's head has an output for every class of the dataset from the start and
 * stores logits over all of them; here the head grows by phase, so each image's logits cover
 * the classes seen when it was stored, and the MSE compares only those columns: the squared
 * differences of the stored columns, summed and divided by their number (Mammoth's {@code
 * mse_loss}, a mean over all elements, when every stored width is equal). Mammoth offers each
 * training batch to the reservoir during training and stores the logits of that step (training
 * mode, augmented image); here each phase's images are offered after its training, once each in
 * an order drawn from the seed, and the stored logits are the trained network's in inference
 * mode on the image as stored. The reservoir's content is a uniform sample of the images either
 * way, but the logits are the end of each phase's rather than points along its trajectory, and
 * the first phase trains with cross-entropy alone (Mammoth replays from its first steps). This
 * keeps the buffer between phases only, where the checkpoints save it. The two buffer batches
 * are the halves of one draw of the trainer's secondary data, read in passes of fresh
 * permutations ({@link org.cil4j.train.BatchStream#cycle}), so they hold different images when
 * the buffer has at least two batches of them; Mammoth draws each batch independently.
 */
public final class Derpp implements Method {
    /**
     * DER++'s hyper-parameters.
     *
     * @param memoryPerClass the buffer's capacity per class of the scenario when there is no
     *     budget ({@link ExemplarMemory#DEFAULT_PER_CLASS}, 20)
     * @param memoryBudget the buffer's capacity (Mammoth's {@code buffer_size}), or 0 (the
     *     default) for {@code memoryPerClass} times the scenario's classes
     * @param alpha the weight of the logit replay, 0.1 (Mammoth's best arguments for DER++ on
     *     seq-cifar10, five tasks of two classes, buffer 200)
     * @param beta the weight of the label replay, 0.5 (the same)
     */
    @RecordBuilder
    public record Params(
            @Default("" + ExemplarMemory.DEFAULT_PER_CLASS) int memoryPerClass,
            @Default("0") int memoryBudget,
            @Default("0.1") double alpha,
            @Default("0.5") double beta)
            implements DerppParamsBuilder.With {
        /** Checks the values. */
        public Params {
            new ExemplarMemory(memoryPerClass, memoryBudget, ExemplarMemory.Selection.RANDOM, 0);
            if (!(alpha >= 0) || Double.isInfinite(alpha)) {
                throw new CilException(
                        "der++ alpha (the weight of the stored logits' MSE) must be >= 0 and finite, got " + alpha);
            }
            if (!(beta >= 0) || Double.isInfinite(beta)) {
                throw new CilException(
                        "der++ beta (the weight of the buffer's cross-entropy) must be >= 0 and finite, got " + beta);
            }
        }

        /**
         * @param classes the scenario's classes
         * @return the buffer's capacity
         */
        int capacity(int classes) {
            return memoryBudget > 0 ? memoryBudget : memoryPerClass * classes;
        }
    }

    /**
     * One buffered image.
     *
     * @param cls its class (incremental order)
     * @param position its position among the class's training images ({@link PhaseContext#classData})
     * @param image the image alone
     * @param logits the network's logits over the classes seen when it was stored
     */
    private record Slot(int cls, int position, ImageDataset image, float[] logits) {}

    private static final String PREFIX = "reservoir.";
    private final Params params;
    private final List<Slot> slots = new ArrayList<>();
    /** The buffer, as the part of the state the checkpoints keep. */
    private final MethodState state = new MethodState();
    /** Images offered to the reservoir so far, Mammoth's {@code num_seen_examples}. */
    private long offered;

    private int capacity;
    private int seen;

    /** @param params the hyper-parameters */
    public Derpp(Params params) {
        this.params = params;
        state.add(MethodState.Part.of(this::saveBuffer, this::loadBuffer, this::bufferReport, () -> {}));
    }

    @Override
    public MethodState state() {
        return state;
    }

    @Override
    public String name() {
        return "der++";
    }

    /** @return the hyper-parameters */
    public Params params() {
        return params;
    }

    @Override
    public void train(PhaseContext ctx) {
        if (slots.isEmpty()) {
            ctx.fit(ctx.stage("train", ctx.phaseData(), ctx.classificationLoss(true)));
            return;
        }
        IncrementalNet net = ctx.net();
        List<ImageDataset> images = new ArrayList<>();
        for (Slot s : slots) {
            images.add(s.image());
        }
        ImageDataset buffer = ExemplarMemory.join("buffer", images);
        int m = Math.min(ctx.train().batchSize(), buffer.size());
        ctx.fit(ctx.stage("train", ctx.phaseData(), b -> {
                    NDArray logits = net.logits(net.features(b.x(), true));
                    Batch s = b.secondary();
                    int classes = (int) logits.getShape().get(1);
                    NDArray replayed = net.logits(net.features(s.x().get("0:" + m), true));
                    float[] stored = new float[m * classes];
                    float[] mask = new float[m * classes];
                    for (int i = 0; i < m; i++) {
                        float[] l = slots.get(s.indices()[i]).logits();
                        System.arraycopy(l, 0, stored, i * classes, l.length);
                        Arrays.fill(mask, i * classes, i * classes + l.length, 1f);
                    }
                    Shape shape = new Shape(m, classes);
                    NDArray again = net.logits(net.features(s.x().get(m + ":"), true));
                    NDArray y = s.y().get(m + ":");
                    NDArray bufferCe = ctx.scenario().multiTask()
                            ? CrossEntropy.loss(again, y, s.taskMask(classes).get(m + ":"))
                            : CrossEntropy.loss(again, y);
                    return loss(
                            logits,
                            ctx.classification(b, logits),
                            replayed,
                            b.manager().create(stored, shape),
                            b.manager().create(mask, shape),
                            bufferCe,
                            params);
                })
                .withSecondary(buffer, 2 * m));
    }

    /**
     * DER++'s loss of a step.
     *
     * @param logits the new images' logits
     * @param classification the setting's cross-entropy on them
     * @param replayed the first buffer batch's logits now, (m, seen)
     * @param stored their stored logits, zero-padded to (m, seen)
     * @param mask 1 on the columns stored for each image, 0 on the padding
     * @param bufferCe the cross-entropy of the second buffer batch against its labels
     * @param p the weights
     * @return the terms "ce", "mse_buffer" ({@code alpha} times the masked MSE) and "ce_buffer"
     *     ({@code beta} times the buffer's cross-entropy)
     */
    static StepLoss loss(
            NDArray logits,
            NDArray classification,
            NDArray replayed,
            NDArray stored,
            NDArray mask,
            NDArray bufferCe,
            Params p) {
        NDArray mse = replayed.sub(stored).square().mul(mask).sum().div(mask.sum());
        return new StepLoss()
                .add("ce", classification)
                .add("mse_buffer", mse.mul((float) p.alpha()))
                .add("ce_buffer", bufferCe.mul((float) p.beta()))
                .accuracyFrom(logits);
    }

    /**
     * Reservoir sampling's choice for one image (Mammoth's {@code reservoir}).
     *
     * @param offered images offered before this one
     * @param capacity the buffer's capacity
     * @param rnd the stream
     * @return the slot the image takes, or -1 when it is not kept
     */
    static int slot(long offered, int capacity, SplittableRandom rnd) {
        if (offered < capacity) {
            return (int) offered;
        }
        long j = rnd.nextLong(offered + 1);
        return j < capacity ? (int) j : -1;
    }

    /** Offers the phase's images to the reservoir and stores the trained network's logits of those kept. */
    @Override
    public void afterPhase(PhaseContext ctx) {
        capacity = params.capacity(ctx.scenario().numClasses());
        seen = ctx.seen();
        ImageDataset data = ctx.phaseData();
        int[] order = new int[data.size()];
        int[] position = new int[data.size()];
        for (int c = ctx.oldClasses(); c < ctx.seen(); c++) {
            int[] idx = data.indicesOf(c);
            for (int k = 0; k < idx.length; k++) {
                position[idx[k]] = k;
            }
        }
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Rng.shuffle(order, Rng.stream(ctx.seed(), "reservoir-order", ctx.phase()));
        SplittableRandom rnd = Rng.stream(ctx.seed(), "reservoir", ctx.phase());
        TreeMap<Integer, Integer> placed = new TreeMap<>();
        for (int i : order) {
            int slot = slot(offered++, capacity, rnd);
            if (slot >= 0) {
                placed.put(slot, i);
            }
        }
        if (placed.isEmpty()) {
            return;
        }
        ImageDataset kept =
                data.subset(placed.values().stream().mapToInt(Integer::intValue).toArray());
        float[][] logits = ctx.logits(ctx.net(), kept);
        int k = 0;
        for (Map.Entry<Integer, Integer> e : placed.entrySet()) {
            int i = e.getValue();
            Slot s = new Slot(data.label(i), position[i], kept.subset(new int[] {k}), logits[k]);
            if (e.getKey() == slots.size()) {
                slots.add(s);
            } else {
                slots.set(e.getKey(), s);
            }
            k++;
        }
    }

    private void saveBuffer(StateWriter w) {
        if (slots.isEmpty()) {
            return;
        }
        int n = slots.size();
        int[] cls = new int[n];
        int[] widths = new int[n];
        float[][] logits = new float[n][];
        Map<Integer, List<Integer>> positions = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            Slot s = slots.get(i);
            cls[i] = s.cls();
            widths[i] = s.logits().length;
            logits[i] = Arrays.copyOf(s.logits(), seen);
            positions.computeIfAbsent(s.cls(), c -> new ArrayList<>()).add(s.position());
        }
        w.putInts(PREFIX + "offered", new int[] {Math.toIntExact(offered)});
        w.putInts(PREFIX + "slots", cls);
        w.putInts(PREFIX + "widths", widths);
        w.putRows(PREFIX + "logits", logits);
        positions.forEach((c, p) -> w.putInts(
                PREFIX + "class." + c, p.stream().mapToInt(Integer::intValue).toArray()));
    }

    private void loadBuffer(StateReader r, PhaseContext ctx) {
        slots.clear();
        capacity = params.capacity(ctx.scenario().numClasses());
        seen = ctx.oldClasses();
        if (!r.has(PREFIX + "slots")) {
            return;
        }
        offered = r.ints(PREFIX + "offered")[0];
        int[] cls = r.ints(PREFIX + "slots");
        int[] widths = r.ints(PREFIX + "widths");
        float[][] logits = r.rows(PREFIX + "logits");
        if (widths.length != cls.length || logits.length != cls.length || cls.length > capacity) {
            throw new CilException(r.source() + ": a DER++ buffer of " + cls.length + " images, " + widths.length
                    + " widths and " + logits.length + " logit rows, for a capacity of " + capacity);
        }
        Map<Integer, ImageDataset> images = new HashMap<>();
        Map<Integer, int[]> positions = new HashMap<>();
        Map<Integer, Integer> next = new HashMap<>();
        for (int i = 0; i < cls.length; i++) {
            int c = cls[i];
            ImageDataset d =
                    images.computeIfAbsent(c, x -> ctx.storedSamples(r, PREFIX + "class." + x, x, "buffer sample"));
            int[] pos = positions.computeIfAbsent(c, x -> r.ints(PREFIX + "class." + x));
            int k = next.merge(c, 1, Integer::sum) - 1;
            if (widths[i] < c + 1 || widths[i] > logits[i].length) {
                throw new CilException(r.source() + ": buffer image " + i + " of class " + c + " has logits over "
                        + widths[i] + " classes");
            }
            slots.add(new Slot(c, pos[k], d.subset(new int[] {k}), Arrays.copyOf(logits[i], widths[i])));
        }
    }

    private Map<String, Object> bufferReport() {
        if (slots.isEmpty()) {
            return Map.of();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("selection", "reservoir");
        out.put("budget", capacity);
        int[] counts = new int[seen];
        long bytes = 0;
        for (Slot s : slots) {
            counts[s.cls()]++;
            bytes += s.image().pixels().length + 4L + 4L * s.logits().length;
        }
        out.put("samplesPerClass", counts);
        out.put("samples", slots.size());
        out.put("offered", offered);
        out.put("bytes", bytes);
        return out;
    }
}
