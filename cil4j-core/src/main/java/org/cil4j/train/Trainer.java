package org.cil4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import org.cil4j.data.ImageDataset;
import org.cil4j.model.IncrementalNet;
import org.cil4j.scenario.Scenario;
import org.cil4j.util.Rng;

/**
 * Owns the training loop: epochs, shuffling, batching, the optimizer, the learning-rate
 * schedule, gradient recording and the per-epoch log. Methods never write a loop; they hand
 * the trainer {@link Stage}s.
 *
 * <p>Every step runs in its own {@link NDManager} that is closed afterwards, so activations
 * do not outlive the step.
 */
public final class Trainer {
    private final NDManager root;
    private final Normalization norm;
    private final double momentum;
    private final long seed;
    private final TrainListener listener;

    /**
     * @param root manager under which each step's manager is created
     * @param norm input normalization
     * @param momentum SGD momentum
     * @param seed master seed (streams "shuffle" and "augment" derive from it)
     * @param listener observer of batches and epochs
     */
    public Trainer(NDManager root, Normalization norm, double momentum, long seed, TrainListener listener) {
        this.root = root;
        this.norm = norm;
        this.momentum = momentum;
        this.seed = seed;
        this.listener = listener;
    }

    /** @return the input normalization */
    public Normalization normalization() {
        return norm;
    }

    /**
     * Trains a stage to the end.
     *
     * @param stage what to train
     * @param scenario the scenario (for task masks)
     * @param phase the phase index
     * @return one record per epoch
     */
    public List<EpochRecord> fit(Stage stage, Scenario scenario, int phase) {
        return fit(stage, scenario, phase, 0, null, null);
    }

    /** Called after each epoch of a stage, while the optimizer state is still alive. */
    @FunctionalInterface
    public interface EpochEnd {
        /**
         * @param epochsDone epochs of the stage completed
         * @param sgd the optimizer, whose {@link Sgd#state()} a checkpoint saves
         */
        void done(int epochsDone, Sgd sgd);
    }

    /**
     * Trains a stage from a given epoch to the end: the resumable form of {@link #fit(Stage,
     * Scenario, int)}. Shuffling and augmentation depend only on (seed, phase, stage, epoch), and
     * the secondary data's draws on (seed, phase, stage, step number within the stage), so starting
     * at epoch {@code e} with the weights and momentum saved after epoch {@code e} reproduces the
     * uninterrupted run.
     *
     * @param stage what to train
     * @param scenario the scenario
     * @param phase the phase index
     * @param firstEpoch epochs already done (0 for a fresh stage; {@code stage.epochs()} runs none)
     * @param savedMomentum saved momentum buffers by parameter name, or null to start from zero
     * @param onEpoch called after each epoch, or null
     * @return one record per epoch run
     */
    public List<EpochRecord> fit(
            Stage stage,
            Scenario scenario,
            int phase,
            int firstEpoch,
            Map<String, NDArray> savedMomentum,
            EpochEnd onEpoch) {
        ImageDataset data = stage.data();
        if (data.size() < 2) {
            throw new IllegalStateException(
                    "stage " + stage.name() + " of phase " + phase + " has fewer than 2 samples");
        }
        org.cil4j.engine.Engines.noGradOnThisThread();
        List<ResolvedGroup> groups = resolve(stage);
        stage.net()
                .params()
                .setTrainable(n -> groups.stream().anyMatch(g -> g.tensors().containsKey(n)));
        Sgd sgd = new Sgd(momentum);
        if (savedMomentum != null) {
            sgd.load(savedMomentum, stage.net().params().params());
        }
        BatchStream stream = new BatchStream(data, norm, stage.augment(), stage.batchSize());
        BatchStream second = stage.secondary() == null || stage.secondary().size() == 0
                ? null
                : new BatchStream(stage.secondary(), norm, stage.augment(), stage.secondaryBatchSize());
        Shape imageShape = new Shape(data.channels(), data.height(), data.width());
        List<EpochRecord> records = new ArrayList<>();
        int stageKey = stage.name().hashCode();
        try {
            for (int epoch = firstEpoch; epoch < stage.epochs(); epoch++) {
                double factor = TrainConfig.lrFactor(epoch, stage.milestones(), stage.gamma());
                long t0 = System.nanoTime();
                Map<String, Double> sums = new LinkedHashMap<>();
                long correct = 0;
                long seen = 0;
                boolean hasAcc = false;
                int steps = 0;
                int batches = batchesPerEpoch(data.size(), stage.batchSize());
                Iterator<HostBatch> it = stream.epoch(Rng.seed(seed, "shuffle", phase, stageKey, epoch));
                while (it.hasNext()) {
                    HostBatch hb = it.next();
                    try (NDManager step = root.newSubManager()) {
                        Batch sec = null;
                        if (second != null) {
                            int sbs = stage.secondaryBatchSize();
                            int[] idx = BatchStream.cycle(
                                    second.size(),
                                    ((long) epoch * batches + steps) * sbs,
                                    sbs,
                                    Rng.seed(seed, "secondary", phase, stageKey));
                            HostBatch sb = second.make(
                                    idx,
                                    Rng.stream(seed, "secondary-augment", phase, stageKey, epoch, steps),
                                    stage.augment());
                            sec = new Batch(step, sb, imageShape, scenario, phase, null);
                        }
                        Batch batch = new Batch(step, hb, imageShape, scenario, phase, sec);
                        StepLoss loss;
                        double total;
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            loss = stage.loss().compute(batch);
                            NDArray t = loss.total();
                            gc.backward(t);
                            total = t.getFloat();
                        }
                        if (!Double.isFinite(total)) {
                            String terms = loss.terms().entrySet().stream()
                                    .map(e -> e.getKey() + " " + e.getValue().getFloat())
                                    .collect(java.util.stream.Collectors.joining(", "));
                            throw new IllegalStateException(String.format(
                                    Locale.ROOT,
                                    "the loss became %s in phase %d, stage %s, epoch %d, step %d of %d (terms: %s):"
                                            + " lower train.lr",
                                    total,
                                    phase + 1, // as the run's log counts phases
                                    stage.name(),
                                    epoch + 1,
                                    steps + 1,
                                    batches,
                                    terms));
                        }
                        sgd.step(groups, factor);
                        for (Map.Entry<String, NDArray> e : loss.terms().entrySet()) {
                            sums.merge(e.getKey(), (double) e.getValue().getFloat(), Double::sum);
                        }
                        if (loss.logits() != null) {
                            hasAcc = true;
                            long[] pred = loss.logits().argMax(1).toLongArray();
                            int[] y = hb.labels();
                            for (int i = 0; i < pred.length; i++) {
                                if (pred[i] == y[i]) {
                                    correct++;
                                }
                            }
                        }
                        seen += hb.size();
                        steps++;
                        listener.onBatch(phase, stage.name(), epoch + 1, stage.epochs(), steps, batches, total);
                    }
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                Map<String, Double> means = new LinkedHashMap<>();
                for (Map.Entry<String, Double> e : sums.entrySet()) {
                    means.put(e.getKey(), e.getValue() / Math.max(1, steps));
                }
                EpochRecord rec = new EpochRecord(
                        phase,
                        stage.name(),
                        epoch + 1,
                        stage.epochs(),
                        factor,
                        groups.isEmpty() ? 0 : groups.get(0).group().lr() * factor,
                        means,
                        hasAcc ? 100.0 * correct / Math.max(1, seen) : Double.NaN,
                        seen / secs,
                        secs);
                records.add(rec);
                listener.onEpoch(rec);
                if (onEpoch != null) {
                    onEpoch.done(epoch + 1, sgd);
                }
            }
        } finally {
            sgd.clear();
            stage.net().params().setTrainable(n -> false);
        }
        return records;
    }

    /** Receives the gradients of one batch of a {@link #gradients} pass. */
    @FunctionalInterface
    public interface GradientSink {
        /**
         * @param name a parameter's name
         * @param gradient its gradient of the batch's loss; freed after the call, so copy or
         *     accumulate it into arrays of your own
         * @param batchSize samples in the batch
         */
        void accept(String name, NDArray gradient, int batchSize);
    }

    /**
     * One pass over data that computes a loss's gradients batch by batch and changes no weight:
     * what EWC's Fisher information and MAS's importance are estimated from. The batches follow
     * FACIL's estimate ({@code compute_fisher_matrix_diag} in {@code approach/ewc.py}, {@code
     * estimate_parameter_importance} in {@code mas.py}): the training batches of the phase,
     * shuffled and augmented, full batches only ({@code len(dataset) // batch_size} of them, at
     * least one), the loss computed as the method says (FACIL runs the network in training mode,
     * so batch norm also updates its running statistics). The order depends only on (seed,
     * phase), so a resumed run computes the same gradients.
     *
     * @param net the network
     * @param params selects the parameters whose gradients are wanted; the others get none
     * @param data the samples
     * @param augment augmentation
     * @param batchSize batch size
     * @param scenario the scenario (for task masks)
     * @param phase the phase index
     * @param loss the scalar loss of a batch
     * @param sink receives each selected parameter's gradient after each batch
     * @return the number of samples in the batches
     */
    public int gradients(
            IncrementalNet net,
            Predicate<String> params,
            ImageDataset data,
            Augment augment,
            int batchSize,
            Scenario scenario,
            int phase,
            Function<Batch, NDArray> loss,
            GradientSink sink) {
        int size = Math.min(batchSize, data.size());
        if (size < 1) {
            throw new IllegalStateException("no samples to compute gradients on in phase " + phase);
        }
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Rng.shuffle(order, Rng.stream(seed, "gradients", phase));
        BatchStream stream = new BatchStream(data, norm, augment, size);
        Shape imageShape = new Shape(data.channels(), data.height(), data.width());
        int samples = 0;
        net.params().setTrainable(params);
        try {
            for (int b = 0; b < data.size() / size; b++) {
                HostBatch hb = stream.make(
                        Arrays.copyOfRange(order, b * size, (b + 1) * size),
                        Rng.stream(seed, "gradients-augment", phase, b),
                        augment);
                try (NDManager step = root.newSubManager()) {
                    Batch batch = new Batch(step, hb, imageShape, scenario, phase, null);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        gc.backward(loss.apply(batch));
                    }
                    for (Map.Entry<String, NDArray> e : net.params().params().entrySet()) {
                        NDArray w = e.getValue();
                        if (w.hasGradient()) {
                            try (NDArray g = w.getGradient()) {
                                sink.accept(e.getKey(), g, hb.size());
                            }
                            JniUtils.zeroGrad((PtNDArray) w);
                        }
                    }
                }
                samples += hb.size();
            }
        } finally {
            net.params().setTrainable(n -> false);
        }
        return samples;
    }

    private static int batchesPerEpoch(int n, int bs) {
        int m = n % bs == 1 && n > 1 ? n - 1 : n;
        return (m + bs - 1) / bs;
    }

    private static List<ResolvedGroup> resolve(Stage stage) {
        List<ResolvedGroup> out = new ArrayList<>();
        java.util.Set<String> taken = new java.util.HashSet<>();
        for (ParamGroup g : stage.groups()) {
            Map<String, NDArray> t = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : stage.net().params().params().entrySet()) {
                if (!taken.contains(e.getKey()) && g.select().test(e.getKey())) {
                    t.put(e.getKey(), e.getValue());
                    taken.add(e.getKey());
                }
            }
            if (!t.isEmpty()) {
                out.add(new ResolvedGroup(g, t));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("stage " + stage.name() + " selects no parameter to train");
        }
        return out;
    }
}
