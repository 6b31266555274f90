package org.cil4j.experiment;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cil4j.CilException;
import org.cil4j.data.Datasets;
import org.cil4j.data.ImageDataset;
import org.cil4j.engine.Engines;
import org.cil4j.eval.AccuracyMatrix;
import org.cil4j.eval.Evaluator;
import org.cil4j.eval.PhaseEval;
import org.cil4j.method.Method;
import org.cil4j.method.PhaseContext;
import org.cil4j.model.IncrementalNet;
import org.cil4j.scenario.Scenario;
import org.cil4j.train.EpochRecord;
import org.cil4j.train.Normalization;
import org.cil4j.train.TrainListener;
import org.cil4j.train.Trainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one experiment from its config: loads the data, resolves the scenario, builds the
 * network and the method, then for each phase grows the head, lets the method train, and
 * evaluates. Writes {@code results.json} (after every phase, atomically, marked incomplete
 * until the end) and {@code epochs.jsonl} (one line per epoch) into the output folder.
 *
 * <pre>{@code
 * ExperimentConfig cfg = ConfigLoader.load(Path.of("configs/fmnist-5x2.json"), List.of("method.name=finetune"));
 * RunResult r = new Experiment(cfg).output(Path.of("runs/ft")).run();
 * System.out.println(r.summary().averageIncremental());
 * }</pre>
 */
public final class Experiment {
    private static final Logger LOG = LoggerFactory.getLogger(Experiment.class);

    private final ExperimentConfig cfg;
    private Path out;
    private TrainListener listener = TrainListener.NONE;
    private String command;
    private DataSource source = DataSource.DEFAULT;

    /** Loads the train and test splits named by a data config. */
    @FunctionalInterface
    public interface DataSource {
        /**
         * @param cfg the data config
         * @return the train and test splits, with the dataset's own labels
         */
        Datasets.TrainTest load(DataConfig cfg);

        /** Loads through the dataset registry. */
        DataSource DEFAULT = DataLoading::load;
    }

    /** @param cfg the experiment */
    public Experiment(ExperimentConfig cfg) {
        this.cfg = cfg;
    }

    /**
     * @param dir output folder (created; must not hold a complete result already)
     * @return this
     */
    public Experiment output(Path dir) {
        this.out = dir;
        return this;
    }

    /**
     * @param l observer of training progress (in addition to the epoch log)
     * @return this
     */
    public Experiment listener(TrainListener l) {
        this.listener = l;
        return this;
    }

    /**
     * @param cmd the command line, recorded in the provenance
     * @return this
     */
    public Experiment command(String cmd) {
        this.command = cmd;
        return this;
    }

    /**
     * @param s where data comes from (tests pass prepared datasets)
     * @return this
     */
    public Experiment dataSource(DataSource s) {
        this.source = s;
        return this;
    }

    /**
     * Runs every phase.
     *
     * @return the result (also written to the output folder when one is set)
     */
    public RunResult run() {
        long t0 = System.nanoTime();
        prepareOutput();
        Device device = Engines.start(cfg.device(), cfg.threads());
        Engines.logDevice(device);
        Method method = Methods.create(cfg.method());
        Datasets.TrainTest raw = source.load(cfg.data());
        ImageDataset trainRaw = shape(raw.train());
        ImageDataset testRaw = shape(raw.test());
        if (trainRaw.numClasses() != testRaw.numClasses()) {
            throw new CilException(cfg.data().dataset() + ": the train split has " + trainRaw.numClasses()
                    + " classes but the test split " + testRaw.numClasses());
        }
        Scenario scenario = Scenario.of(cfg.scenario(), trainRaw.numClasses(), trainRaw.classNames());
        ImageDataset train = scenario.relabel(trainRaw, cfg.scenario().trainPerClass(), cfg.seed());
        ImageDataset test = scenario.relabel(testRaw, cfg.scenario().testPerClass(), cfg.seed());
        checkNotEmpty(train, test, scenario);
        Normalization norm = Normalization.of(train);
        Provenance prov = Provenance.collect(command);
        RunResult.ScenarioInfo info = new RunResult.ScenarioInfo(cfg.scenario().setting(), scenario.order(),
                scenario.phaseSizes(), scenario.classNames());
        LOG.info("{}: {} on {} ({} train / {} test images, {}x{}x{}), {} phases {}", cfg.name(), method.name(),
                cfg.data().dataset(), train.size(), test.size(), train.channels(), train.height(), train.width(),
                scenario.numPhases(), java.util.Arrays.toString(scenario.phaseSizes()));

        List<PhaseResult> phases = new ArrayList<>();
        AccuracyMatrix cnn = AccuracyMatrix.empty();
        AccuracyMatrix aware = AccuracyMatrix.empty();
        AccuracyMatrix nme = null;
        RunResult result = null;
        try (NDManager root = NDManager.newBaseManager(device);
                EpochLog epochLog = new EpochLog(out == null ? null : out.resolve("epochs.jsonl"));
                method) {
            TrainListener both = new TrainListener() {
                @Override
                public void onBatch(int phase, String stage, int epoch, int epochs, int batch, int batches, double loss) {
                    listener.onBatch(phase, stage, epoch, epochs, batch, batches, loss);
                }

                @Override
                public void onEpoch(EpochRecord r) {
                    epochLog.write(r);
                    listener.onEpoch(r);
                }
            };
            Trainer trainer = new Trainer(root, norm, cfg.train().momentum(), cfg.seed(), both);
            try (IncrementalNet net = IncrementalNet.create(cfg.model(), train.channels(), train.height(), cfg.seed(), root)) {
                for (int p = 0; p < scenario.numPhases(); p++) {
                    MemoryProbe.resetPeak();
                    long ts = System.nanoTime();
                    net.addHead(scenario.size(p));
                    List<EpochRecord> log = new ArrayList<>();
                    PhaseContext ctx = new PhaseContext(p, scenario, net, train, cfg.train(), trainer, root, cfg.seed(), log);
                    method.train(ctx);
                    method.afterPhase(ctx);
                    double trainSecs = (System.nanoTime() - ts) / 1e9;
                    long te = System.nanoTime();
                    PhaseEval ev = Evaluator.evaluate(root, net, scenario.seenData(test, p), scenario, p, norm,
                            cfg.train().evalBatchSize(), method.classMeans());
                    double evalSecs = (System.nanoTime() - te) / 1e9;
                    cnn = cnn.withRow(ev.cnn(), ev.counts());
                    aware = aware.withRow(ev.taskAware(), ev.counts());
                    if (ev.nme() != null) {
                        nme = (nme == null ? AccuracyMatrix.empty() : nme).withRow(ev.nme(), ev.counts());
                    }
                    Map<String, Object> mem = method.memoryReport();
                    phases.add(new PhaseResult(p, scenario.size(p), scenario.seen(p), ctx.phaseData().size(), trainSecs,
                            evalSecs, MemoryProbe.peakRssMb(), cnn.accuracyAfter(p), aware.accuracyAfter(p),
                            nme == null || nme.phases() <= p ? null : nme.accuracyAfter(p), ev.top5(),
                            p == 0 ? null : cnn.oldAccuracy(p), cnn.newAccuracy(p), mem,
                            new PhaseResult.ClassNorms(weightNorms(net), ev.featureNorms())));
                    boolean done = p == scenario.numPhases() - 1;
                    result = new RunResult(RunResult.FORMAT, done, cfg, info, prov, List.copyOf(phases), cnn, aware, nme,
                            summary(scenario.multiTask(), cnn, aware, nme), (System.nanoTime() - t0) / 1e9);
                    LOG.info("phase {}/{}: {} classes seen, accuracy {} {}%{} (train {}s, eval {}s)", p + 1,
                            scenario.numPhases(), scenario.seen(p), scenario.multiTask() ? "task-aware" : "CNN",
                            fmt(scenario.multiTask() ? aware.accuracyAfter(p) : cnn.accuracyAfter(p)),
                            nme == null ? "" : ", NME " + fmt(nme.accuracyAfter(p)) + "%",
                            fmt(trainSecs), fmt(evalSecs));
                    writeResult(result);
                }
            }
        }
        return result;
    }

    /** L2 norm of each class's weight row, over all heads, in incremental class order. */
    private static double[] weightNorms(IncrementalNet net) {
        double[] out = new double[net.numClasses()];
        int k = 0;
        for (int h = 0; h < net.numHeads(); h++) {
            NDArray w = net.headWeight(h);
            int dim = (int) w.getShape().get(1);
            float[] v = w.toFloatArray();
            for (int r = 0; r < v.length / dim; r++) {
                double sq = 0;
                for (int d = 0; d < dim; d++) {
                    sq += (double) v[r * dim + d] * v[r * dim + d];
                }
                out[k++] = Math.sqrt(sq);
            }
        }
        return out;
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.2f", v);
    }

    private ImageDataset shape(ImageDataset d) {
        ImageDataset r = d;
        if (cfg.data().rgb()) {
            r = r.toRgb();
        }
        if (cfg.data().imageSize() > 0) {
            r = r.resize(cfg.data().imageSize(), cfg.data().imageSize());
        }
        return r;
    }

    private static void checkNotEmpty(ImageDataset train, ImageDataset test, Scenario s) {
        int[] trainCounts = train.classCounts();
        int[] testCounts = test.classCounts();
        for (int k = 0; k < s.numClasses(); k++) {
            if (trainCounts[k] == 0) {
                throw new CilException("class '" + s.classNames().get(k) + "' has no training images");
            }
            if (testCounts[k] == 0) {
                throw new CilException("class '" + s.classNames().get(k) + "' has no test images");
            }
        }
    }

    /**
     * The headline numbers of a run so far.
     *
     * @param multiTask the setting reads task-aware accuracy
     * @param cnn task-agnostic matrix
     * @param aware task-aware matrix
     * @param nme NME matrix or null
     * @return the summary
     */
    static RunResult.Summary summary(boolean multiTask, AccuracyMatrix cnn, AccuracyMatrix aware, AccuracyMatrix nme) {
        AccuracyMatrix primary = multiTask ? aware : cnn;
        return new RunResult.Summary(multiTask ? "taskAware" : "cnn", primary.averageIncrementalAccuracy(),
                primary.accuracyAfter(primary.phases() - 1), primary.forgetting(), primary.backwardTransfer(),
                cnn.averageIncrementalAccuracy(), aware.averageIncrementalAccuracy(),
                nme == null ? null : nme.averageIncrementalAccuracy());
    }

    private void prepareOutput() {
        if (out == null) {
            return;
        }
        try {
            Files.createDirectories(out);
            Path res = out.resolve("results.json");
            if (Files.exists(res)) {
                throw new CilException("output folder " + out + " already holds a result (results.json); "
                        + "choose another --out or delete it");
            }
            Path probe = Files.createTempFile(out, ".write-test", ".tmp");
            Files.delete(probe);
            Files.deleteIfExists(out.resolve("epochs.jsonl"));
        } catch (IOException e) {
            throw new CilException("output folder " + out + " is not writable: " + e.getMessage(), e);
        }
    }

    private void writeResult(RunResult r) {
        if (out == null) {
            return;
        }
        try {
            byte[] json = ConfigLoader.MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(r);
            AtomicFiles.write(out.resolve("results.json"), json);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out.resolve("results.json"), e);
        }
    }

    /** Appends one JSON line per epoch. */
    static final class EpochLog implements AutoCloseable {
        private final BufferedWriter w;

        EpochLog(Path file) {
            try {
                w = file == null ? null : Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new CilException("cannot write the epoch log " + file + ": " + e.getMessage(), e);
            }
        }

        void write(EpochRecord r) {
            if (w == null) {
                return;
            }
            try {
                w.write(ConfigLoader.MAPPER.writeValueAsString(r));
                w.newLine();
                w.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            if (w != null) {
                try {
                    w.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }
}
