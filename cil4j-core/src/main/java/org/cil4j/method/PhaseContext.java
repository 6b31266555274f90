package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.Iterator;
import java.util.List;
import org.cil4j.data.ImageDataset;
import org.cil4j.loss.CrossEntropy;
import org.cil4j.model.IncrementalNet;
import org.cil4j.scenario.Scenario;
import org.cil4j.train.Augment;
import org.cil4j.train.Batch;
import org.cil4j.train.BatchStream;
import org.cil4j.train.EpochRecord;
import org.cil4j.train.HostBatch;
import org.cil4j.train.Stage;
import org.cil4j.train.StepLoss;
import org.cil4j.train.TrainConfig;
import org.cil4j.train.Trainer;

/**
 * Everything a method sees of a phase: the scenario, the network, the phase's data, the
 * recipe, and the trainer that runs stages.
 */
public final class PhaseContext {
    private final int phase;
    private final Scenario scenario;
    private final IncrementalNet net;
    private final ImageDataset trainAll;
    private final TrainConfig train;
    private final Trainer trainer;
    private final NDManager root;
    private final long seed;
    private final List<EpochRecord> log;
    private final StageRunner runner;
    private int stages;

    /**
     * Runs the stages of a phase; the experiment's runner adds checkpoints and resumes a phase
     * at the stage and epoch where it stopped.
     */
    @FunctionalInterface
    public interface StageRunner {
        /**
         * @param trainer the trainer
         * @param stage the stage
         * @param scenario the scenario
         * @param phase the phase index
         * @param index the stage's number within the phase, in call order from 0
         * @return the epoch records of the epochs run
         */
        List<EpochRecord> fit(Trainer trainer, Stage stage, Scenario scenario, int phase, int index);

        /** Runs every stage from its first epoch. */
        StageRunner PLAIN = (t, st, sc, p, i) -> t.fit(st, sc, p);
    }

    /**
     * @param phase phase index
     * @param scenario the scenario
     * @param net the network, its head for this phase already added
     * @param trainAll all training data of the scenario, relabelled (methods may only use
     *     {@link #phaseData()}, {@link #seenData()} for joint training, and what they stored)
     * @param train the recipe
     * @param trainer the trainer
     * @param root manager for temporary arrays
     * @param seed master seed
     * @param log where epoch records of this phase are collected
     */
    public PhaseContext(
            int phase,
            Scenario scenario,
            IncrementalNet net,
            ImageDataset trainAll,
            TrainConfig train,
            Trainer trainer,
            NDManager root,
            long seed,
            List<EpochRecord> log) {
        this(phase, scenario, net, trainAll, train, trainer, root, seed, log, StageRunner.PLAIN);
    }

    /**
     * @param phase phase index
     * @param scenario the scenario
     * @param net the network, its head for this phase already added
     * @param trainAll all training data of the scenario, relabelled
     * @param train the recipe
     * @param trainer the trainer
     * @param root manager for temporary arrays
     * @param seed master seed
     * @param log where epoch records of this phase are collected
     * @param runner runs each stage (checkpoints, resume)
     */
    public PhaseContext(
            int phase,
            Scenario scenario,
            IncrementalNet net,
            ImageDataset trainAll,
            TrainConfig train,
            Trainer trainer,
            NDManager root,
            long seed,
            List<EpochRecord> log,
            StageRunner runner) {
        this.runner = runner;
        this.phase = phase;
        this.scenario = scenario;
        this.net = net;
        this.trainAll = trainAll;
        this.train = train;
        this.trainer = trainer;
        this.root = root;
        this.seed = seed;
        this.log = log;
    }

    /** @return the phase index (0 is the base phase) */
    public int phase() {
        return phase;
    }

    /** @return the scenario */
    public Scenario scenario() {
        return scenario;
    }

    /** @return the network being trained */
    public IncrementalNet net() {
        return net;
    }

    /** @return the training samples of this phase's classes */
    public ImageDataset phaseData() {
        return scenario.phaseData(trainAll, phase);
    }

    /** @return the training samples of every class seen so far (joint training only) */
    public ImageDataset seenData() {
        return scenario.seenData(trainAll, phase);
    }

    /** @return the phase recipe */
    public TrainConfig train() {
        return train;
    }

    /** @return the master seed */
    public long seed() {
        return seed;
    }

    /** @return classes seen after this phase */
    public int seen() {
        return scenario.seen(phase);
    }

    /** @return classes seen before this phase */
    public int oldClasses() {
        return scenario.start(phase);
    }

    /**
     * A stage following the phase recipe that trains every parameter of the network.
     *
     * @param name label
     * @param data samples
     * @param loss the batch loss
     * @return the stage
     */
    public Stage stage(String name, ImageDataset data, Stage.BatchLoss loss) {
        return Stage.standard(name, net, data, loss, train);
    }

    /**
     * Runs a stage to the end. Stages are numbered in call order; on a resumed run the stages
     * completed before the interruption are not trained again (their weights are restored) and
     * the interrupted one continues at its epoch, so everything a method does between stages must
     * depend only on the phase's start state and the weights stages leave.
     *
     * @param stage the stage
     */
    public void fit(Stage stage) {
        log.addAll(runner.fit(trainer, stage, scenario, phase, stages++));
    }

    /**
     * Computes a loss's gradients over data without training ({@link Trainer#gradients}), in
     * batches of the recipe's size with its augmentation.
     *
     * @param data the samples
     * @param params selects the parameters whose gradients are wanted
     * @param loss the scalar loss of a batch
     * @param sink receives each parameter's gradient after each batch
     * @return the number of samples in the batches
     */
    public int gradients(
            ImageDataset data,
            java.util.function.Predicate<String> params,
            java.util.function.Function<Batch, NDArray> loss,
            Trainer.GradientSink sink) {
        return trainer.gradients(net, params, data, train.augment(), train.batchSize(), scenario, phase, loss, sink);
    }

    /**
     * The training images of one class seen so far (all labelled {@code cls}), in dataset order:
     * what exemplar indices refer to.
     *
     * @param cls a class in incremental order, below {@link #seen()}
     * @return its training images
     */
    public ImageDataset classData(int cls) {
        // the class's images straight from all the data, in their order there: the same images in
        // the same order as among its phase's data, without copying the whole phase first (a
        // resume restores every old class's exemplars, and those copies, 77 MB a class for
        // tin100's first phase, grew the Java heap to its cap)
        return trainAll.subset(trainAll.indicesOf(cls));
    }

    /**
     * The training images of an old class that a checkpoint stored as positions among the
     * class's images ({@link #classData}), such as exemplars or reserved samples.
     *
     * @param r the checkpoint
     * @param name the name the positions were saved under
     * @param cls the class
     * @param what what the samples are, for messages ("exemplar", "reserved sample")
     * @return those images, in the stored order
     * @throws org.cil4j.CilException naming the checkpoint when the class is not an old class or
     *     a position is out of range
     */
    public ImageDataset storedSamples(org.cil4j.checkpoint.StateReader r, String name, int cls, String what) {
        if (cls >= oldClasses()) {
            throw new org.cil4j.CilException(r.source() + ": " + what + "s of class " + cls + " but only "
                    + oldClasses() + " classes come before phase " + phase);
        }
        int[] pos = r.ints(name);
        ImageDataset data = classData(cls);
        for (int i : pos) {
            if (i < 0 || i >= data.size()) {
                throw new org.cil4j.CilException(
                        r.source() + ": " + what + " index " + i + " out of range for class " + cls);
            }
        }
        return data.subset(pos);
    }

    /**
     * The classification loss of the setting: cross-entropy over all seen classes
     * (multi-class), or over each sample's own task head (multi-task).
     *
     * @param batch the batch
     * @param logits logits over the first {@code n} classes
     * @return the mean loss
     */
    public NDArray classification(Batch batch, NDArray logits) {
        if (scenario.multiTask()) {
            int classes = (int) logits.getShape().get(1);
            return CrossEntropy.loss(logits, batch.y(), batch.taskMask(classes));
        }
        return CrossEntropy.loss(logits, batch.y());
    }

    /**
     * The plain loss of the baselines: the setting's classification loss on the network's
     * logits, with the logits kept for the training accuracy.
     *
     * @param backboneTrainMode batch norm of the backbone in training mode; when false the
     *     backbone also receives no gradient
     * @return the batch loss
     */
    public Stage.BatchLoss classificationLoss(boolean backboneTrainMode) {
        return b -> {
            NDArray f = net.features(b.x(), backboneTrainMode);
            NDArray logits = net.logits(backboneTrainMode ? f : f.stopGradient());
            return new StepLoss().add("ce", classification(b, logits)).accuracyFrom(logits);
        };
    }

    /**
     * Extracts features of a dataset with a network in inference mode.
     *
     * @param network the network
     * @param data the images
     * @param flip also average each image's features with those of its horizontal flip
     * @return one feature row per image
     */
    public float[][] features(IncrementalNet network, ImageDataset data, boolean flip) {
        return Features.extract(root, network, data, trainer.normalization(), train.evalBatchSize(), flip);
    }

    /**
     * The logits of a dataset's images, as the network outputs them in inference mode (no
     * augmentation): what DER++ stores with its buffer's images.
     *
     * @param network the network
     * @param data the images
     * @return one row of {@code network.numClasses()} logits per image
     */
    public float[][] logits(IncrementalNet network, ImageDataset data) {
        return Features.rows(
                root,
                data,
                trainer.normalization(),
                train.evalBatchSize(),
                network.numClasses(),
                x -> network.logits(network.features(x, false)));
    }

    /** Feature extraction shared by methods and evaluation. */
    public static final class Features {
        private Features() {}

        /**
         * @param root manager for temporaries
         * @param network the network
         * @param data images
         * @param norm normalization
         * @param batchSize batch size
         * @param flip average with the horizontal flip
         * @return features, one row per image
         */
        public static float[][] extract(
                NDManager root,
                IncrementalNet network,
                ImageDataset data,
                org.cil4j.train.Normalization norm,
                int batchSize,
                boolean flip) {
            return rows(root, data, norm, batchSize, network.backbone().featureDim(), x -> {
                NDArray f = network.features(x, false);
                return flip ? f.add(network.features(x.flip(3), false)).div(2) : f;
            });
        }

        /**
         * @param root manager for temporaries
         * @param data images
         * @param norm normalization
         * @param batchSize batch size
         * @param d the length of a row
         * @param forward a batch of normalized images to one row per image
         * @return the rows, one per image, in dataset order
         */
        static float[][] rows(
                NDManager root,
                ImageDataset data,
                org.cil4j.train.Normalization norm,
                int batchSize,
                int d,
                java.util.function.Function<NDArray, NDArray> forward) {
            float[][] out = new float[data.size()][];
            BatchStream stream = new BatchStream(data, norm, Augment.NONE, batchSize);
            Iterator<HostBatch> it = stream.sequential();
            int pos = 0;
            Shape shape = new Shape(data.channels(), data.height(), data.width());
            while (it.hasNext()) {
                HostBatch hb = it.next();
                try (NDManager m = root.newSubManager()) {
                    NDArray x = m.create(
                            FloatBuffer.wrap(hb.pixels()),
                            new Shape(hb.size(), shape.get(0), shape.get(1), shape.get(2)));
                    float[] flat = forward.apply(x).toFloatArray();
                    for (int i = 0; i < hb.size(); i++) {
                        out[pos++] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
                    }
                }
            }
            return out;
        }
    }
}
