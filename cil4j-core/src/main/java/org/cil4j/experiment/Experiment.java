package org.cil4j.experiment;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.cil4j.CilException;
import org.cil4j.checkpoint.CheckpointStore;
import org.cil4j.checkpoint.StateReader;
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
import org.cil4j.scenario.ScenarioConfig;
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
    private boolean resume;
    private boolean extending;
    private boolean force;
    private boolean forceBase;

    /** The resolved config of a run, saved in its output folder when it starts. */
    public static final String CONFIG_FILE = "config.json";

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
     * Continues the run in the output folder from its newest checkpoint (from the start when it
     * has none). The config must equal the one the folder was started with, the {@code
     * checkpoint} section aside.
     *
     * @param forced accept a changed config (the differences are logged)
     * @return this
     */
    public Experiment resume(boolean forced) {
        this.resume = true;
        this.force = forced;
        return this;
    }

    /**
     * @param forced load the config's {@code baseFrom} even when it was trained differently (the
     *     differences are logged)
     * @return this
     */
    public Experiment forceBase(boolean forced) {
        this.forceBase = forced;
        return this;
    }

    /**
     * The config a run was started with.
     *
     * @param out the run's output folder
     * @return its resolved config tree
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode savedConfig(Path out) {
        Path f = out.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(f)) {
            throw new CilException("cannot resume " + out + ": it holds no " + CONFIG_FILE
                    + " (not the output folder of a cil4j run)");
        }
        return ConfigLoader.readTree(f);
    }

    /**
     * Lists the differences between two configs, the checkpoint section aside.
     *
     * @param saved the config a run started with
     * @param now the config of the resume
     * @return one line per changed key, "key: old -> new"; empty when equal
     */
    public static List<String> configChanges(JsonNode saved, JsonNode now) {
        List<String> out = new ArrayList<>();
        diff("", comparable(saved), comparable(now), out);
        return out;
    }

    /**
     * Whether a run started with {@code saved} can be continued with {@code now} as the same run
     * taken further: the configs differ only in {@code runPhases}, which {@code saved} set and
     * {@code now} raises (or clears, to run every phase). The phases already run are unchanged, so
     * their checkpoints and results stay valid; no {@code --force} is needed.
     *
     * @param saved the config the run was started (or last extended) with
     * @param now the config of the resume
     * @return true when {@code now} only runs more phases of the same scenario
     */
    public static boolean extendsRun(JsonNode saved, JsonNode now) {
        int before = saved.path("runPhases").asInt(0);
        int after = now.path("runPhases").asInt(0);
        if (before == 0 || (after != 0 && after <= before)) {
            return false;
        }
        com.fasterxml.jackson.databind.node.ObjectNode a =
                ((com.fasterxml.jackson.databind.node.ObjectNode) saved).deepCopy();
        com.fasterxml.jackson.databind.node.ObjectNode b =
                ((com.fasterxml.jackson.databind.node.ObjectNode) now).deepCopy();
        a.remove("runPhases");
        b.remove("runPhases");
        return configChanges(a, b).isEmpty();
    }

    private static JsonNode comparable(JsonNode n) {
        com.fasterxml.jackson.databind.node.ObjectNode c =
                ((com.fasterxml.jackson.databind.node.ObjectNode) n).deepCopy();
        c.remove("checkpoint");
        return c;
    }

    private static void diff(String path, JsonNode a, JsonNode b, List<String> out) {
        if (a != null && b != null && a.isObject() && b.isObject()) {
            java.util.Set<String> keys = new java.util.TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                diff(path.isEmpty() ? k : path + "." + k, a.get(k), b.get(k), out);
            }
        } else if (!sameValue(a, b)) {
            out.add(path + ": " + (a == null ? "(absent)" : a) + " -> " + (b == null ? "(absent)" : b));
        }
    }

    private static boolean sameValue(JsonNode a, JsonNode b) {
        boolean na = a == null || a.isNull();
        boolean nb = b == null || b.isNull();
        if (na || nb) {
            return na == nb;
        }
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }

    static String configHash(JsonNode cfgTree) {
        try {
            return CheckpointStore.sha256(ConfigLoader.MAPPER.writeValueAsBytes(comparable(cfgTree)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs every phase.
     *
     * @return the result (also written to the output folder when one is set)
     */
    public RunResult run() {
        long t0 = System.nanoTime();
        JsonNode cfgTree = ConfigLoader.MAPPER.valueToTree(cfg);
        String hash = configHash(cfgTree);
        prepareOutput(cfgTree);
        CheckpointStore store = out == null ? null : new CheckpointStore(out.resolve("checkpoints"));
        CheckpointStore.Loaded ckpt = resumePoint(store, hash, cfgTree);
        BaseModel.Loaded base =
                cfg.baseFrom() != null && (ckpt == null || ckpt.manifest().phase() == 0)
                        ? BaseModel.open(Path.of(cfg.baseFrom()), cfgTree, forceBase, LOG::warn)
                        : null;
        Device device = Engines.start(cfg.device(), cfg.threads());
        Engines.logDevice(device);
        Method method = Methods.create(cfg.method());
        JsonNode methodParams = Methods.resolvedParams(cfg.method());
        method.checkModel(cfg.model()); // before the data: a wrong model.classifier fails at once
        Data data = loadData();
        // Loading held the decoded files, the loaded datasets and their relabelled copies at
        // once; give that heap back before training (a tin100 run's committed heap stayed at
        // 1.1 GiB for 0.4 GiB in use). One full collection, once per run.
        System.gc();
        Scenario scenario = data.scenario();
        Provenance prov = provenance(base, scenario);
        RunResult.ScenarioInfo info = new RunResult.ScenarioInfo(
                cfg.scenario().setting(), scenario.order(), scenario.phaseSizes(), scenario.classNames());
        LOG.info(
                "{}: {} on {} ({} train / {} test images, {}x{}x{}), {} phases {}",
                cfg.name(),
                method.name(),
                cfg.data().describe(),
                data.train().size(),
                data.test().size(),
                data.train().channels(),
                data.train().height(),
                data.train().width(),
                scenario.numPhases(),
                Arrays.toString(scenario.phaseSizes()));
        Tally tally = Tally.startingFrom(ckpt, t0);
        int first = ckpt == null ? 0 : ckpt.manifest().phase();
        if (ckpt != null) {
            checkHeads(ckpt, scenario);
            LOG.info(
                    "resuming from {}: phase {}{}",
                    ckpt.dir(),
                    first + 1,
                    ckpt.files().containsKey(Checkpointing.CURRENT)
                            ? ", stage " + (ckpt.manifest().stage() + 1) + " after epoch "
                                    + ckpt.manifest().epoch()
                            : " from its start");
        }
        if (resume && out != null) {
            EpochLog.truncate(
                    out.resolve("epochs.jsonl"),
                    ckpt == null ? 0 : ckpt.manifest().epochLines());
        }
        int phasesToRun = cfg.runPhases() == 0 ? scenario.numPhases() : cfg.runPhases();
        if (phasesToRun > scenario.numPhases()) {
            throw new CilException(
                    "runPhases is " + phasesToRun + " but the scenario has " + scenario.numPhases() + " phases");
        }
        RunResult result = null;
        try (NDManager root = NDManager.newBaseManager(device);
                EpochLog epochLog = new EpochLog(
                        out == null ? null : out.resolve("epochs.jsonl"),
                        ckpt == null ? 0 : ckpt.manifest().epochLines());
                method;
                IncrementalNet net = IncrementalNet.create(
                        cfg.model(), data.train().channels(), data.train().height(), cfg.seed(), root)) {
            Normalization norm = Normalization.of(data.train());
            Trainer trainer = new Trainer(root, norm, cfg.train().momentum(), cfg.seed(), epochLog.and(listener));
            checkSpace(net);
            // a phase's context differs from another's only in the phase and in how its stages run
            BiFunction<Integer, PhaseContext.StageRunner, PhaseContext> context = (p, runner) -> new PhaseContext(
                    p, scenario, net, data.train(), cfg.train(), trainer, root, cfg.seed(), new ArrayList<>(), runner);
            Checkpointing.Plan plan = null;
            if (ckpt != null && first >= phasesToRun) {
                // every phase to run is checkpointed (killed before the last results write):
                // nothing trains, so the method's state is not restored; the result is written below
                LOG.info("every phase up to {} is checkpointed; writing the result", phasesToRun);
            } else if (ckpt != null) {
                plan = restore(ckpt, net, method, context.apply(first, PhaseContext.StageRunner.PLAIN), root);
            }
            Checkpointing ck = store == null
                    ? null
                    : new Checkpointing(
                            store,
                            cfg.checkpoint().everyEpochs(),
                            hash,
                            cfgTree,
                            root,
                            epochLog::lines,
                            ckpt == null ? 1 : ckpt.manifest().seq() + 1,
                            plan);
            for (int p = first; p < phasesToRun; p++) {
                MemoryProbe.resetPeak();
                long ts = System.nanoTime();
                if (ck != null) {
                    ck.beginPhase(p, net, method, tally.tree());
                }
                method.grow(net, p);
                net.addHead(scenario.size(p));
                PhaseContext ctx = context.apply(p, ck == null ? PhaseContext.StageRunner.PLAIN : ck);
                if (p == 0 && base != null) {
                    loadBase(base, net, root);
                } else {
                    method.train(ctx);
                }
                method.afterPhase(ctx);
                double trainSecs = (System.nanoTime() - ts) / 1e9;
                evaluate(ctx, method, data.test(), norm, tally, trainSecs, root);
                result = tally.result(p == phasesToRun - 1, cfg, methodParams, info, prov);
                LOG.info(
                        "phase {}/{}: {} classes seen, accuracy {} {}%{} (train {}s, eval {}s)",
                        p + 1,
                        phasesToRun,
                        scenario.seen(p),
                        scenario.multiTask() ? "task-aware" : "CNN",
                        fmt(scenario.multiTask() ? tally.aware.accuracyAfter(p) : tally.cnn.accuracyAfter(p)),
                        tally.nme == null ? "" : ", NME " + fmt(tally.nme.accuracyAfter(p)) + "%",
                        fmt(trainSecs),
                        fmt(tally.phases.get(p).evalSeconds()));
                writeResult(result);
                if (ck != null) {
                    Path saved = ck.phaseDone(p, net, method, tally.tree());
                    if (p == 0) {
                        BaseModel.keep(out, saved);
                    }
                }
            }
            if (result == null && !tally.phases.isEmpty()) {
                // resumed from the checkpoint written after the last phase: only the result was lost
                result = tally.result(true, cfg, methodParams, info, prov);
                writeResult(result);
            }
        }
        return result;
    }

    /** The newest checkpoint when resuming, refused (or, forced, warned about) when the config changed. */
    private CheckpointStore.Loaded resumePoint(CheckpointStore store, String hash, JsonNode cfgTree) {
        CheckpointStore.Loaded ckpt = resume ? store.newest().orElse(null) : null;
        if (ckpt != null
                && !hash.equals(ckpt.manifest().configHash())
                && !extendsRun(ckpt.manifest().config(), cfgTree)) {
            refuseOrWarn(
                    "the checkpoint " + ckpt.dir() + " was written with another config",
                    configChanges(ckpt.manifest().config(), cfgTree));
        }
        return ckpt;
    }

    /** Code, engine and machine, and the run whose first phase this one loads. */
    private Provenance provenance(BaseModel.Loaded base, Scenario scenario) {
        Provenance prov = Provenance.collect(command);
        if (base == null) {
            return prov;
        }
        if (base.firstPhaseClasses() != scenario.size(0)) {
            throw new CilException("baseFrom " + cfg.baseFrom() + ": its first phase learned "
                    + base.firstPhaseClasses() + " classes, this run's first phase has " + scenario.size(0));
        }
        JsonNode bc = base.checkpoint().manifest().config();
        return prov.withBase(new Provenance.Base(
                base.dir().toString(),
                bc.path("name").asText(null),
                bc.path("method").path("name").asText(null),
                base.sha256()));
    }

    /**
     * Puts a resumed run back where its checkpoint left it: the heads of the phases before, the
     * network's weights at the phase's start, and the method's state.
     *
     * @return where inside the phase to continue, or null to start the phase from its beginning
     */
    private static Checkpointing.Plan restore(
            CheckpointStore.Loaded ckpt, IncrementalNet net, Method method, PhaseContext ctx, NDManager root) {
        int first = ctx.phase();
        for (int h = 0; h < first; h++) {
            method.grow(net, h);
            net.addHead(ctx.scenario().size(h));
        }
        try (var r = new StateReader(
                        ckpt.dir().resolve(Checkpointing.START).toString(), ckpt.file(Checkpointing.START), root);
                var mr = new StateReader(
                        ckpt.dir().resolve(Checkpointing.METHOD).toString(), ckpt.file(Checkpointing.METHOD), root)) {
            r.copyInto("net.", net.params().all());
            method.state().load(mr, ctx);
        }
        return ckpt.files().containsKey(Checkpointing.CURRENT)
                ? new Checkpointing.Plan(
                        first, ckpt.manifest().stage(), ckpt.manifest().epoch(), ckpt)
                : null;
    }

    /** The first phase's network, trained by another run ({@code baseFrom}). */
    private static void loadBase(BaseModel.Loaded base, IncrementalNet net, NDManager root) {
        try (var r = new StateReader(base.dir().resolve(Checkpointing.START).toString(), base.weights(), root)) {
            r.copyInto("net.", net.params().all());
        }
        LOG.info(
                "phase 1: loaded the network trained by {} (SHA-256 {}) instead of training it",
                base.dir(),
                base.sha256().substring(0, 12));
    }

    /** Evaluates the network after a phase on the test images of the classes seen, and adds the phase to the tally. */
    private void evaluate(
            PhaseContext ctx,
            Method method,
            ImageDataset test,
            Normalization norm,
            Tally tally,
            double trainSecs,
            NDManager root) {
        int p = ctx.phase();
        Scenario scenario = ctx.scenario();
        IncrementalNet net = ctx.net();
        long te = System.nanoTime();
        PhaseEval ev = Evaluator.evaluate(
                root,
                net,
                scenario.seenData(test, p),
                scenario,
                p,
                norm,
                cfg.train().evalBatchSize(),
                method.classMeans());
        double evalSecs = (System.nanoTime() - te) / 1e9;
        tally.addRows(ev);
        org.cil4j.engine.NativeMemory.release(); // the phase's freed tensors go back to the system
        Map<String, Object> mem = method.memoryReport();
        tally.phases.add(new PhaseResult(
                p,
                scenario.size(p),
                scenario.seen(p),
                ctx.phaseData().size(),
                trainSecs,
                evalSecs,
                MemoryProbe.peakRssMb(),
                tally.cnn.accuracyAfter(p),
                tally.aware.accuracyAfter(p),
                tally.nmeAfter(p),
                ev.top5(),
                p == 0 ? null : tally.cnn.oldAccuracy(p),
                tally.cnn.newAccuracy(p),
                mem,
                MemoryProbe.rssMb(),
                new PhaseResult.ClassNorms(weightNorms(net), ev.featureNorms())));
        if (LOG.isDebugEnabled()) {
            LOG.debug(
                    "after phase {}: {} native arrays alive, resident {} MiB",
                    p + 1,
                    root.getManagedArrays().size(),
                    MemoryProbe.rssMb());
        }
    }

    /**
     * The scenario and its data in incremental class order.
     *
     * @param scenario the class order and phases
     * @param train the training images, relabelled (and subsampled to {@code trainPerClass})
     * @param test the test images, relabelled
     */
    private record Data(Scenario scenario, ImageDataset train, ImageDataset test) {}

    /**
     * Loads the data, builds the scenario and relabels both splits. The loaded datasets are
     * dropped when this returns: only the relabelled copies stay for the run (on tin100, 150 MiB
     * of pixels the run would otherwise hold twice).
     */
    private Data loadData() {
        Datasets.TrainTest raw;
        ScenarioConfig scenarioCfg = cfg.scenario();
        if (cfg.data().hasSequence()) {
            DataSequence.Joined joined = DataSequence.load(cfg.data(), source);
            raw = joined.data();
            scenarioCfg = DataSequence.scenario(scenarioCfg, joined.partClasses());
        } else {
            raw = source.load(cfg.data());
        }
        ImageDataset trainRaw = shape(raw.train());
        ImageDataset testRaw = shape(raw.test());
        if (trainRaw.numClasses() != testRaw.numClasses()) {
            throw new CilException(cfg.data().describe() + ": the train split has " + trainRaw.numClasses()
                    + " classes but the test split " + testRaw.numClasses());
        }
        Scenario scenario = Scenario.of(scenarioCfg, trainRaw.numClasses(), trainRaw.classNames());
        ImageDataset train = scenario.relabel(trainRaw, cfg.scenario().trainPerClass(), cfg.seed());
        ImageDataset test = scenario.relabel(testRaw, cfg.scenario().testPerClass(), cfg.seed());
        checkNotEmpty(train, test, scenario);
        return new Data(scenario, train, test);
    }

    /**
     * L2 norm of each class's weight row, over all heads, in incremental class order; the mean of
     * its rows' norms for a classifier with several rows per class (PODNet's proxies).
     */
    private static double[] weightNorms(IncrementalNet net) {
        double[] out = new double[net.numClasses()];
        int per = net.classifier().rowsPerClass();
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
                out[k + r / per] += Math.sqrt(sq) / per;
            }
            k += v.length / dim / per;
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
        return new RunResult.Summary(
                multiTask ? "taskAware" : "cnn",
                primary.averageIncrementalAccuracy(),
                primary.accuracyAfter(primary.phases() - 1),
                primary.forgetting(),
                primary.backwardTransfer(),
                cnn.averageIncrementalAccuracy(),
                aware.averageIncrementalAccuracy(),
                nme == null ? null : nme.averageIncrementalAccuracy());
    }

    private void prepareOutput(JsonNode cfgTree) {
        if (out == null) {
            if (resume) {
                throw new CilException("a resume needs the run's output folder");
            }
            return;
        }
        Path res = out.resolve("results.json");
        if (resume) {
            JsonNode saved = savedConfig(out);
            extending = extendsRun(saved, cfgTree);
            if (Files.exists(res) && readComplete(res) && !extending) {
                throw new CilException(out + " holds a complete result: nothing to resume"
                        + (saved.path("runPhases").asInt(0) > 0
                                ? " (it stopped after runPhases="
                                        + saved.path("runPhases").asInt()
                                        + "; raise runPhases, or set it to 0, to run more phases)"
                                : ""));
            }
            if (extending) {
                LOG.info(
                        "taking {} further: runPhases {} -> {}",
                        out,
                        saved.path("runPhases").asInt(),
                        cfgTree.path("runPhases").asInt(0) == 0
                                ? "all"
                                : cfgTree.path("runPhases").asInt());
            } else {
                refuseOrWarn(
                        "the config differs from the one " + out + " was started with", configChanges(saved, cfgTree));
            }
        }
        try {
            Files.createDirectories(out);
            if (!resume && Files.exists(res)) {
                throw new CilException("output folder " + out + " already holds a result (results.json); "
                        + "choose another --out, delete it, or continue it with --resume");
            }
            if (!resume && Files.exists(out.resolve("checkpoints"))) {
                throw new CilException("output folder " + out
                        + " holds checkpoints of a run; continue it with --resume " + "or choose another --out");
            }
            Path probe = Files.createTempFile(out, ".write-test", ".tmp");
            Files.delete(probe);
            if (!resume) {
                Files.deleteIfExists(out.resolve("epochs.jsonl"));
            }
            if (!resume || force || extending) {
                writeJson(out.resolve(CONFIG_FILE), cfgTree);
            }
            if (extending && Files.exists(res)) {
                // the run is going on again: until its next phase is written, the stopped run's
                // result must not read as the whole run's (config.json now asks for more phases)
                ObjectNode unfinished = (ObjectNode) ConfigLoader.MAPPER.readTree(res.toFile());
                unfinished.put("complete", false);
                writeJson(res, unfinished);
            }
        } catch (IOException e) {
            throw new CilException("output folder " + out + " is not writable: " + e.getMessage(), e);
        }
    }

    private void refuseOrWarn(String what, List<String> changes) {
        if (changes.isEmpty()) {
            return;
        }
        String list = String.join("\n  ", changes);
        if (!force) {
            throw new CilException(what + "; refusing to resume (use --force to resume anyway). Changed:\n  " + list);
        }
        LOG.warn("{}; resuming anyway (--force). Changed:\n  {}", what, list);
    }

    private static boolean readComplete(Path res) {
        try {
            JsonNode n = ConfigLoader.MAPPER.readTree(res.toFile());
            return n != null && n.path("complete").asBoolean(false);
        } catch (IOException e) {
            throw new CilException(res + ": not readable as JSON (" + e.getMessage() + ")", e);
        }
    }

    private static void checkHeads(CheckpointStore.Loaded ckpt, Scenario scenario) {
        List<Integer> heads = ckpt.manifest().heads();
        int p = ckpt.manifest().phase();
        boolean ok = heads != null && heads.size() == p && p <= scenario.numPhases();
        for (int h = 0; ok && h < p; h++) {
            ok = heads.get(h) == scenario.size(h);
        }
        if (!ok) {
            throw new CilException(ckpt.dir() + ": its network has heads " + heads + " but the scenario's phases are "
                    + java.util.Arrays.toString(scenario.phaseSizes()));
        }
    }

    /** Fails before training when the output folder's disk cannot hold a few checkpoints. */
    private void checkSpace(IncrementalNet net) {
        if (out == null) {
            return;
        }
        long tensorBytes = net.params().all().values().stream()
                .mapToLong(a -> 4 * a.getShape().size())
                .sum();
        // a checkpoint holds up to about four copies of the network (start, old model, stage, current + momentum);
        // two are kept and a third is written before the oldest is deleted
        long need = 3 * (5 * tensorBytes) + (64L << 20);
        try {
            long free = Files.getFileStore(out).getUsableSpace();
            if (free < need) {
                throw new CilException("output folder " + out + ": only " + (free >> 20)
                        + " MiB free, checkpoints need about " + (need >> 20) + " MiB");
            }
        } catch (IOException e) {
            LOG.warn("cannot tell the free space of {}: {}", out, e.toString());
        }
    }

    private void writeResult(RunResult r) {
        if (out == null) {
            return;
        }
        try {
            writeJson(out.resolve("results.json"), r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out.resolve("results.json"), e);
        }
    }

    /** Writes {@code value} as indented JSON, atomically (config.json, results.json). */
    private static void writeJson(Path file, Object value) throws IOException {
        AtomicFiles.write(
                file,
                ConfigLoader.MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(value));
    }

    /** Appends one JSON line per epoch. */
    static final class EpochLog implements AutoCloseable {
        private final BufferedWriter w;
        private long lines;

        EpochLog(Path file, long linesBefore) {
            this.lines = linesBefore;
            try {
                w = file == null
                        ? null
                        : Files.newBufferedWriter(
                                file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
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
                lines++;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        long lines() {
            return lines;
        }

        /**
         * @param l another observer
         * @return an observer that logs each epoch here and passes everything on to {@code l}
         */
        TrainListener and(TrainListener l) {
            return new TrainListener() {
                @Override
                public void onBatch(
                        int phase, String stage, int epoch, int epochs, int batch, int batches, double loss) {
                    l.onBatch(phase, stage, epoch, epochs, batch, batches, loss);
                }

                @Override
                public void onEpoch(EpochRecord r) {
                    write(r);
                    l.onEpoch(r);
                }
            };
        }

        /** Keeps the first lines of the log: those written before the checkpoint a run resumes from. */
        static void truncate(Path file, long keep) {
            try {
                if (!Files.exists(file)) {
                    return;
                }
                List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
                if (all.size() > keep) {
                    String kept = all.subList(0, (int) keep).stream()
                            .map(l -> l + "\n")
                            .collect(java.util.stream.Collectors.joining());
                    AtomicFiles.write(file, kept.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                throw new CilException("cannot rewrite the epoch log " + file + ": " + e.getMessage(), e);
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
