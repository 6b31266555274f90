package org.cil4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.cil4j.data.ImageDataset;
import org.cil4j.eval.Evaluator;
import org.cil4j.experiment.MemoryProbe;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.method.Method;
import org.cil4j.method.PhaseContext;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;
import org.cil4j.scenario.Scenario;
import org.cil4j.train.Augment;
import org.cil4j.train.BatchStream;
import org.cil4j.train.HostBatch;
import org.cil4j.train.Normalization;
import org.cil4j.train.Stage;
import org.cil4j.train.TrainConfig;
import org.cil4j.train.TrainListener;
import org.cil4j.train.Trainer;

/**
 * The benchmark behind {@code cil bench}: training steps of a CIFAR ResNet-32 for plain
 * cross-entropy and for each method's full loss, inference, evaluation with NME, and the data
 * pipeline, on synthetic 32x32 RGB images, with a PyTorch reference run in the same invocation.
 *
 * <p>Every training step is a registered method's own: the bench runs the method's phase-1
 * {@link Method#train} and times the stage it builds under the name "train" (its loss, trained
 * parameters and rates, secondary samples) through the real {@link Trainer} (per-step manager,
 * gradient collector, {@code Sgd}, CIFAR augmentation in the background {@link BatchStream}),
 * so the figures cannot drift from the methods; the scenario is phase 1 of a 50 + 10 class
 * split (the old model knows 50 classes). A step is timed between the trainer's consecutive batch callbacks; each repeat runs one epoch of
 * {@code 1 + iterations} batches (the first, which starts the stage, is not timed), and the
 * variants take turns repeat by repeat so that the step-cost ratios are paired.
 */
public final class Bench {
    /** Classes of the old model. */
    static final int OLD = 50;
    /** Classes of the new phase. */
    static final int NEW = 10;
    /** Classes of the network being trained in phase 1 (the rows of every method but DER's later phases). */
    static final int CLASSES = OLD + NEW;
    /**
     * Images of each class the untimed earlier phases see: every class present for herding,
     * imprinting and reserved samples, and enough for BiC, which holds two of each old class out.
     * The step's cost does not depend on it, the setup's does (DER's setup passes the probe
     * through every backbone). With 3, LUCIR's timed steps on noise at lr 0.1 once diverged to a
     * NaN loss (in a BenchTest that had not set the engine's threads itself); 5 has not.
     */
    static final int PROBE = 5;

    /** Phases of the bench's scenario: the old 50 classes, then five of 10 (DER's rows run each). */
    static final int PHASES = 6;
    /** Classes of the whole scenario. */
    static final int ALL = OLD + NEW * (PHASES - 1);

    /**
     * Registered methods without a row of their own, and why: every other registered method is
     * timed ({@code BenchTest} holds the registry to that, so a new method cannot be left out
     * silently).
     */
    static final Map<String, String> UNTIMED = new TreeMap<>(Map.of(
            "feature-extraction", "its step trains the new head on a frozen backbone, cheaper than a plain step",
            "joint", "its step is the plain one, on every class seen so far",
            "lwf-mc", "its step is iCaRL's without exemplars",
            "dr-d", "dr with distillation only, a lighter step than the DR target row's",
            "dr-r", "dr with retrospection only, a lighter step than the DR target row's",
            "dr-dr", "dr with both switches on: the DR target row"));

    /**
     * A row of the table.
     *
     * @param name what was measured
     * @param ips images per second over the repeats
     * @param peakMb peak resident memory of the process while it ran, MiB (-1 unknown)
     */
    public record Row(String name, Stats ips, long peakMb) {}

    /**
     * A ratio with its target.
     *
     * @param name what is divided by what
     * @param value the ratio
     * @param target the target in words ("<= 1.40"), or empty
     * @param met whether the median meets it, or null without target
     */
    public record Ratio(String name, Stats value, String target, Boolean met) {}

    /**
     * Everything measured.
     *
     * @param header lines describing the machine and settings
     * @param rows the measurements
     * @param ratios the ratios
     */
    public record Report(List<String> header, List<Row> rows, List<Ratio> ratios) {
        /** @return the report as Markdown */
        public String markdown() {
            StringBuilder sb = new StringBuilder("# cil4j benchmarks\n\n");
            header.forEach(h -> sb.append(h).append("  \n"));
            sb.append(
                    "\n| measurement | images/s (median) | min | max | peak RSS (MiB) |\n|---|---:|---:|---:|---:|\n");
            for (Row r : rows) {
                sb.append(String.format(
                        Locale.ROOT,
                        "| %s | %.1f | %.1f | %.1f | %s |%n",
                        r.name(),
                        r.ips().median(),
                        r.ips().min(),
                        r.ips().max(),
                        r.peakMb() < 0 ? "n/a" : Long.toString(r.peakMb())));
            }
            sb.append("\n| ratio | median | min | max | target | met |\n|---|---:|---:|---:|---|---|\n");
            for (Ratio r : ratios) {
                sb.append(String.format(
                        Locale.ROOT,
                        "| %s | %.3f | %.3f | %.3f | %s | %s |%n",
                        r.name(),
                        r.value().median(),
                        r.value().min(),
                        r.value().max(),
                        r.target(),
                        r.met() == null ? "" : r.met() ? "yes" : "**no**"));
            }
            return sb.toString();
        }
    }

    /**
     * One timed method: the registered method after the phases before the timed one, with its
     * network holding the timed phase's head.
     *
     * @param name the row's name
     * @param registered registry name
     * @param net the network
     * @param method the method
     * @param probe the training data its phases see ({@link #PROBE} images of each class)
     * @param phase the timed phase (0-based; 1 for every row but DER's later phases)
     * @param target the step-cost target against a plain step, or NaN for none
     */
    record Variant(
            String name,
            String registered,
            IncrementalNet net,
            Method method,
            ImageDataset probe,
            int phase,
            double target) {}

    private final BenchOptions o;
    private final PrintStream log;
    private final NDManager root;
    private final Normalization norm =
            new Normalization(new float[] {0.5f, 0.48f, 0.44f}, new float[] {0.25f, 0.25f, 0.26f});
    private final Scenario scenario;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private long dataSeed = 1;

    /** @return the input normalization of every step */
    Normalization norm() {
        return norm;
    }

    /** @return 50 classes, then five phases of 10: the scenario every step runs in */
    Scenario scenario() {
        return scenario;
    }

    Bench(BenchOptions o, PrintStream log, NDManager root) {
        this.o = o;
        this.log = log;
        this.root = root;
        List<String> names = IntStream.range(0, ALL).mapToObj(i -> "c" + i).toList();
        int[] sizes = IntStream.range(0, PHASES).map(p -> p == 0 ? OLD : NEW).toArray();
        this.scenario = new Scenario(IntStream.range(0, ALL).toArray(), sizes, false, names);
    }

    /**
     * Runs the benchmark. The engine must already be started with {@code o.threads()} threads.
     *
     * @param o the options
     * @param device where cil4j's side computes (the PyTorch reference runs on the CPU)
     * @param pytorch run the PyTorch reference
     * @param script the reference script, or null to find bench/pytorch_resnet32.py
     * @param python the interpreter, or null to find one that imports torch
     * @param log progress messages
     * @return the report
     */
    public static Report run(
            BenchOptions o, ai.djl.Device device, boolean pytorch, Path script, String python, PrintStream log) {
        try (NDManager root = NDManager.newBaseManager(device)) {
            Bench b = new Bench(o, log, root);
            try {
                return b.measure(pytorch, script, python);
            } finally {
                for (AutoCloseable c : b.closing) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        // closing at the end: nothing left to do
                    }
                }
            }
        }
    }

    private Report measure(boolean pytorch, Path script, String python) {
        List<String> header = new ArrayList<>();
        header.add(String.format(
                Locale.ROOT,
                "Written by `cil bench --threads %d --warmup %d --iterations %d --repeats %d%s` on %s.",
                o.threads(),
                o.warmup(),
                o.iterations(),
                o.repeats(),
                o.methods().isEmpty() ? "" : " --methods " + String.join(",", o.methods()),
                LocalDate.now(ZoneOffset.UTC)));
        header.add(String.format(
                Locale.ROOT,
                "Machine: %d cores visible to the JVM; cil4j on %s; engine %s %s (DJL %s); Java %s;"
                        + " LD_PRELOAD=%s.",
                Runtime.getRuntime().availableProcessors(),
                root.getDevice(),
                Engine.getInstance().getEngineName(),
                Engine.getInstance().getVersion(),
                Engine.getDjlVersion(),
                System.getProperty("java.version"),
                System.getenv().getOrDefault("LD_PRELOAD", "(none)")));
        header.add(String.format(
                Locale.ROOT,
                "ResNet-32 on synthetic 32x32 RGB images; training batch %d with crop+flip+normalize, "
                        + "SGD momentum 0.9; the second phase of %d + %d classes (DER: each later phase, one more "
                        + "backbone each); inference batch %d. Images/s are medians over %d repeats of %d "
                        + "timed steps after %d warm-up steps, with the min and max repeat; step-cost ratios are paired per repeat.",
                o.batch(),
                OLD,
                NEW,
                o.evalBatch(),
                o.repeats(),
                o.iterations(),
                o.warmup()));
        header.add(
                "Notes: a training step's time includes the trainer's host-to-native batch copy (PyTorch's reference reuses one "
                        + "tensor and has no augmentation); the DR target step also passes as many reserved old samples through "
                        + "the network, but only the new images count in its images/s; peak RSS is the whole process's high-water mark "
                        + "while that measurement ran (JVM heap and every benchmark network included); the data pipeline row augments "
                        + "bytes already in memory (no JPEG decode or cache read).");
        StringBuilder untimed = new StringBuilder("Registered methods without a row: ");
        UNTIMED.forEach((name, why) ->
                untimed.append('`').append(name).append("` (").append(why).append("); "));
        header.add(untimed.substring(0, untimed.length() - 2) + ".");
        List<Variant> variants = variants();
        List<Row> rows = new ArrayList<>();
        List<Ratio> ratios = new ArrayList<>();

        // Training: warm-up, then the variants take turns, repeat by repeat.
        List<List<Double>> ips = new ArrayList<>();
        long[] peaks = new long[variants.size()];
        for (Variant v : variants) {
            ips.add(new ArrayList<>());
            if (o.warmup() > 0) {
                log.printf("bench: warming up %s%n", v.name());
                fit(v, o.warmup());
            }
        }
        for (int r = 0; r < o.repeats(); r++) {
            for (int i = 0; i < variants.size(); i++) {
                Variant v = variants.get(i);
                MemoryProbe.resetPeak();
                double secs = fit(v, 1 + o.iterations());
                peaks[i] = Math.max(peaks[i], MemoryProbe.peakRssMb());
                ips.get(i).add(o.iterations() * o.batch() / secs);
                log.printf(
                        Locale.ROOT,
                        "bench: repeat %d/%d %-10s %8.1f images/s%n",
                        r + 1,
                        o.repeats(),
                        v.name(),
                        o.iterations() * o.batch() / secs);
            }
        }
        for (int i = 0; i < variants.size(); i++) {
            rows.add(new Row(
                    "train step, " + variants.get(i).name() + " (batch " + o.batch() + ")",
                    Stats.of(ips.get(i)),
                    peaks[i]));
        }
        for (int i = 1; i < variants.size(); i++) {
            List<Double> ratio = new ArrayList<>();
            for (int r = 0; r < o.repeats(); r++) {
                ratio.add(ips.get(0).get(r) / ips.get(i).get(r));
            }
            Stats s = Stats.of(ratio);
            double target = variants.get(i).target();
            boolean hasTarget = !Double.isNaN(target);
            ratios.add(new Ratio(
                    "step cost " + variants.get(i).name() + " / plain",
                    s,
                    hasTarget ? String.format(Locale.ROOT, "<= %.2f", target) : "",
                    hasTarget ? s.median() <= target : null));
        }
        Stats plain = rows.get(0).ips();

        Row infer = inference(variants.get(0).net());
        rows.add(infer);
        rows.add(evaluation(variants.get(0).net()));
        Row pipe = pipeline();
        rows.add(pipe);
        ratios.add(new Ratio(
                "data pipeline / plain train step (images/s)",
                new Stats(
                        pipe.ips().median() / plain.median(),
                        pipe.ips().min() / plain.median(),
                        pipe.ips().max() / plain.median(),
                        pipe.ips().n()),
                ">= 3",
                pipe.ips().median() / plain.median() >= 3));
        Row[] loads = folderLoads();
        rows.add(loads[0]);
        rows.add(loads[1]);
        List<Double> speedups = new ArrayList<>();
        for (int r = 0; r < loads[0].ips().n(); r++) {
            speedups.add(loadPairs.get(r)[1] / loadPairs.get(r)[0]);
        }
        Stats sp = Stats.of(speedups);
        ratios.add(new Ratio(
                "JPEG folder: second load (cache) / first load (decode), images/s", sp, ">= 10", sp.median() >= 10));

        if (pytorch) {
            log.println("bench: running the PyTorch reference");
            StringBuilder why = new StringBuilder();
            PyTorchReference.Result ref = PyTorchReference.run(script, python, o, why);
            if (ref == null) {
                header.add("PyTorch reference skipped: " + why + ".");
                log.println("bench: PyTorch reference skipped: " + why);
            } else {
                header.add(
                        "PyTorch reference: bench/pytorch_resnet32.py with torch " + ref.version() + " (" + ref.python()
                                + "), run as a subprocess right after the cil4j measurements, without LD_PRELOAD.");
                Stats pt = Stats.of(ref.train());
                Stats pi = Stats.of(ref.infer());
                rows.add(new Row("PyTorch train step, plain CE (batch " + o.batch() + ")", pt, ref.trainPeakMb()));
                rows.add(new Row(
                        "PyTorch inference, features + logits (batch " + o.evalBatch() + ")", pi, ref.inferPeakMb()));
                ratios.add(ratioOfMedians("cil4j / PyTorch, plain train step", plain, pt, 0.9));
                ratios.add(ratioOfMedians("cil4j / PyTorch, inference", infer.ips(), pi, 0.9));
            }
        } else {
            header.add("PyTorch reference skipped (--skip-pytorch).");
        }
        return new Report(header, rows, ratios);
    }

    /** Ratio of medians; the spread is the worst and best pairing of the two ranges. */
    private static Ratio ratioOfMedians(String name, Stats a, Stats b, double atLeast) {
        double m = a.median() / b.median();
        return new Ratio(
                name,
                new Stats(m, a.min() / b.max(), a.max() / b.min(), Math.min(a.n(), b.n())),
                String.format(Locale.ROOT, ">= %.2f", atLeast),
                m >= atLeast);
    }

    /**
     * The timed methods, each registered method with its default parameters, set up at phase 1
     * of the bench's scenario, and DER at each later phase too (a new backbone each phase).
     */
    List<Variant> variants() {
        checkMethods(o.methods());
        ModelConfig linear = new ModelConfig("resnet32", true, "linear");
        ModelConfig cosine = new ModelConfig("resnet32", false, "cosine");
        List<Timed> rows = new ArrayList<>(List.of(
                new Timed("plain CE", "finetune", linear, 1, Double.NaN),
                new Timed("LwF", "lwf", linear, 1, 1.35),
                new Timed("iCaRL", "icarl", linear, 1, 1.35),
                new Timed("LUCIR", "lucir", cosine, 1, 1.40),
                new Timed("DR target", "dr", linear, 1, Double.NaN),
                new Timed("replay", "replay", linear, 1, Double.NaN),
                new Timed("EWC", "ewc", linear, 1, Double.NaN),
                new Timed("MAS", "mas", linear, 1, Double.NaN),
                new Timed("BiC", "bic", linear, 1, Double.NaN),
                new Timed("WA", "wa", linear, 1, Double.NaN),
                new Timed("PODNet", "podnet", new ModelConfig("resnet32", false, "lsc"), 1, Double.NaN),
                new Timed("DER++", "der++", linear, 1, Double.NaN)));
        for (int p = 1; p < PHASES; p++) {
            rows.add(new Timed(
                    "DER, " + (p + 1) + " backbones (" + scenario.seen(p) + " classes)", "der", linear, p, Double.NaN));
        }
        // the plain step is always timed (every ratio needs it); the others when asked for
        return rows.stream()
                .filter(r -> o.methods().isEmpty()
                        || r.method().equals("finetune")
                        || o.methods().contains(r.method()))
                .map(this::variant)
                .toList();
    }

    /** A timed row of the bench before it is set up: what {@link #variant} builds. */
    private record Timed(String name, String method, ModelConfig cfg, int phase, double target) {}

    /** Refuses {@code --methods} names that are not registered or have no row, saying which. */
    private static void checkMethods(List<String> names) {
        for (String n : names) {
            if (UNTIMED.containsKey(n)) {
                throw new org.cil4j.CilException(
                        "--methods: " + n + " has no row of its own in the bench: " + UNTIMED.get(n));
            }
            if (Methods.all().stream().noneMatch(e -> e.name().equals(n))) {
                throw new org.cil4j.CilException("--methods: no registered method " + n + " (cil methods lists them)");
            }
        }
    }

    /**
     * Creates the registered method, runs the phases before {@code phase} without training (what
     * {@code grow} adds and {@code afterPhase} keeps: backbones, an old model, exemplars, reserved
     * samples, importance) on a probe of {@link #PROBE} images per class, and grows the network for {@code
     * phase}, as the experiment does.
     */
    private Variant variant(Timed r) {
        String method = r.method();
        int phase = r.phase();
        IncrementalNet n = net(r.cfg());
        Method m = Methods.create(MethodConfig.of(method, null));
        closing.add(m);
        ImageDataset probe = dataset(PROBE * ALL, 0, ALL);
        int[] labels = probe.labels();
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % ALL; // every class present: herding, reserved samples and imprinting need each
        }
        for (int p = 0; p < phase; p++) {
            m.grow(n, p);
            n.addHead(scenario.size(p));
            PhaseContext before = context(p, n, probe, TrainListener.NONE, (t, st, sc, q, i) -> List.of());
            m.train(before);
            m.afterPhase(before);
        }
        m.grow(n, phase);
        n.addHead(scenario.size(phase));
        return new Variant(r.name(), method, n, m, probe, phase, r.target());
    }

    private PhaseContext context(
            int phase, IncrementalNet n, ImageDataset data, TrainListener listener, PhaseContext.StageRunner runner) {
        return new PhaseContext(
                phase,
                scenario,
                n,
                data,
                recipe(),
                new Trainer(root, norm, 0.9, 11, listener),
                root,
                1,
                new ArrayList<>(),
                runner);
    }

    private TrainConfig recipe() {
        return TrainConfig.of(1, o.batch(), 0.1, 0.9, 5e-4, List.of(), 0.1, Augment.CIFAR, o.evalBatch());
    }

    private IncrementalNet net(ModelConfig cfg) {
        IncrementalNet n = IncrementalNet.create(cfg, 3, 32, 7, root);
        closing.add(n);
        return n;
    }

    /** Synthetic images: uniform random bytes, labels uniform in [from, to). */
    ImageDataset dataset(int size, int from, int to) {
        return dataset(size, IntStream.range(from, to).toArray());
    }

    /** Synthetic images: uniform random bytes, labels uniform among {@code labels}. */
    private ImageDataset dataset(int size, int[] labels) {
        SplittableRandom rnd = new SplittableRandom(dataSeed++);
        byte[] px = new byte[size * 3 * 32 * 32];
        rnd.nextBytes(px);
        int[] y = new int[size];
        for (int i = 0; i < size; i++) {
            y[i] = labels[rnd.nextInt(labels.length)];
        }
        return new ImageDataset("synthetic", px, y, 3, 32, 32, scenario.classNames());
    }

    /**
     * Runs the method's phase-1 training with its stage named "train" replaced by the same stage
     * (network, loss, parameter groups and rates, secondary samples) over one epoch of {@code
     * batches} batches of synthetic images of the labels that stage trains on; its other stages
     * (DR's expert, LUCIR's balanced finetuning) are skipped. Returns the seconds from the end of
     * the first step to the end of the last.
     */
    double fit(Variant v, int batches) {
        long[] stamps = new long[batches];
        int[] seen = {0};
        TrainListener timer = new TrainListener() {
            @Override
            public void onBatch(int phase, String stage, int epoch, int epochs, int batch, int total, double loss) {
                if (seen[0] < stamps.length) {
                    stamps[seen[0]++] = System.nanoTime();
                }
            }
        };
        boolean[] timed = {false};
        PhaseContext ctx = context(v.phase(), v.net(), v.probe(), timer, (t, st, sc, p, i) -> {
            if (!st.name().equals("train") || timed[0]) {
                return List.of();
            }
            timed[0] = true;
            ImageDataset data = dataset(
                    batches * o.batch(),
                    IntStream.of(st.data().labels()).distinct().toArray());
            return t.fit(
                    new Stage(
                            "bench",
                            st.net(),
                            data,
                            st.groups(),
                            st.loss(),
                            1,
                            List.of(),
                            1.0,
                            o.batch(),
                            Augment.CIFAR,
                            st.secondary(),
                            st.secondaryBatchSize()),
                    sc,
                    p);
        });
        v.method().train(ctx);
        if (!timed[0] || seen[0] != batches) {
            throw new IllegalStateException(v.registered() + ": expected a stage named train of " + batches
                    + " steps, saw " + (timed[0] ? seen[0] + " steps" : "none"));
        }
        return batches < 2 ? Double.NaN : (stamps[batches - 1] - stamps[0]) / 1e9;
    }

    /** Features + logits without gradient, at the evaluation batch, batch copied in each time. */
    private Row inference(IncrementalNet net) {
        log.println("bench: inference");
        ImageDataset data = dataset(o.evalBatch(), 0, CLASSES);
        HostBatch hb = new BatchStream(data, norm, Augment.NONE, o.evalBatch())
                .make(IntStream.range(0, data.size()).toArray(), new SplittableRandom(1), Augment.NONE);
        Shape shape = new Shape(hb.size(), 3, 32, 32);
        Runnable one = () -> {
            try (NDManager m = root.newSubManager()) {
                NDArray x = m.create(FloatBuffer.wrap(hb.pixels()), shape);
                net.logits(net.features(x, false)).toFloatArray();
            }
        };
        for (int i = 0; i < o.warmup(); i++) {
            one.run();
        }
        List<Double> ips = new ArrayList<>();
        long peak = -1;
        for (int r = 0; r < o.repeats(); r++) {
            MemoryProbe.resetPeak();
            long t0 = System.nanoTime();
            for (int i = 0; i < o.iterations(); i++) {
                one.run();
            }
            ips.add((double) o.iterations() * hb.size() / ((System.nanoTime() - t0) / 1e9));
            peak = Math.max(peak, MemoryProbe.peakRssMb());
        }
        return new Row("inference, features + logits, no grad (batch " + o.evalBatch() + ")", Stats.of(ips), peak);
    }

    /** The real evaluation path ({@link Evaluator}): features, logits, NME against 60 class means. */
    private Row evaluation(IncrementalNet net) {
        log.println("bench: evaluation with NME");
        int d = net.backbone().featureDim();
        SplittableRandom rnd = new SplittableRandom(3);
        float[][] means = new float[CLASSES][d];
        for (float[] m : means) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                m[j] = (float) rnd.nextGaussian();
                s += m[j] * m[j];
            }
            for (int j = 0; j < d; j++) {
                m[j] /= (float) Math.sqrt(s);
            }
        }
        if (o.warmup() > 0) {
            Evaluator.evaluate(
                    root,
                    net,
                    dataset(o.warmup() * o.evalBatch(), 0, CLASSES),
                    scenario,
                    1,
                    norm,
                    o.evalBatch(),
                    means);
        }
        ImageDataset test = dataset(o.iterations() * o.evalBatch(), 0, CLASSES);
        List<Double> ips = new ArrayList<>();
        long peak = -1;
        for (int r = 0; r < o.repeats(); r++) {
            MemoryProbe.resetPeak();
            long t0 = System.nanoTime();
            Evaluator.evaluate(root, net, test, scenario, 1, norm, o.evalBatch(), means);
            ips.add(test.size() / ((System.nanoTime() - t0) / 1e9));
            peak = Math.max(peak, MemoryProbe.peakRssMb());
        }
        return new Row(
                "evaluation: features + logits + NME (Evaluator, batch " + o.evalBatch() + ")", Stats.of(ips), peak);
    }

    /** BatchStream with the CIFAR augmentation, drained as fast as it produces. */
    private Row pipeline() {
        log.println("bench: data pipeline");
        int batches = 10 * o.iterations();
        ImageDataset data = dataset(batches * o.batch(), 0, CLASSES);
        BatchStream stream = new BatchStream(data, norm, Augment.CIFAR, o.batch());
        for (int w = 0; w < o.warmup(); w++) {
            drain(stream.epoch(w));
        }
        List<Double> ips = new ArrayList<>();
        long peak = -1;
        for (int r = 0; r < o.repeats(); r++) {
            MemoryProbe.resetPeak();
            long t0 = System.nanoTime();
            int n = drain(stream.epoch(100 + r));
            ips.add(n / ((System.nanoTime() - t0) / 1e9));
            peak = Math.max(peak, MemoryProbe.peakRssMb());
        }
        return new Row(
                "data pipeline: BatchStream crop+flip+normalize, one producer thread (batch " + o.batch() + ")",
                Stats.of(ips),
                peak);
    }

    /** First-load and second-load images/s of each repeat, paired. */
    private final List<double[]> loadPairs = new ArrayList<>();

    /**
     * Loads a folder of JPEGs (ImageFolder layout, 64x64 like Tiny-ImageNet, resized to 32x32)
     * twice per repeat with an empty decode cache: the first load decodes every file and fills
     * the cache, the second reads the cache. The files are written once, before timing.
     */
    private Row[] folderLoads() {
        log.println("bench: image folder, first load and second load");
        int classes = 20;
        int perClass = 50;
        Path dir;
        try {
            dir = java.nio.file.Files.createTempDirectory("cil4j-bench-jpeg");
            SplittableRandom rnd = new SplittableRandom(7);
            for (int c = 0; c < classes; c++) {
                Path cls = java.nio.file.Files.createDirectories(
                        dir.resolve("train").resolve(String.format("n%08d", c)));
                for (int i = 0; i < perClass; i++) {
                    java.awt.image.BufferedImage img =
                            new java.awt.image.BufferedImage(64, 64, java.awt.image.BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < 64; y++) {
                        for (int x = 0; x < 64; x++) {
                            int v = (x * (c + 3) + y * (i + 1) + rnd.nextInt(64)) & 0xff;
                            img.setRGB(x, y, (v << 16) | (((v + 85) & 0xff) << 8) | ((v * 3) & 0xff));
                        }
                    }
                    javax.imageio.ImageIO.write(
                            img, "jpg", cls.resolve(i + ".JPEG").toFile());
                }
            }
        } catch (java.io.IOException e) {
            throw new org.cil4j.CilException("bench: cannot write the JPEG folder: " + e.getMessage(), e);
        }
        List<Double> first = new ArrayList<>();
        List<Double> second = new ArrayList<>();
        long peak1 = -1;
        long peak2 = -1;
        int n = classes * perClass;
        try {
            for (int r = 0; r < o.repeats(); r++) {
                Path cacheDir = java.nio.file.Files.createTempDirectory("cil4j-bench-cache");
                try {
                    org.cil4j.data.DecodedCache cache = new org.cil4j.data.DecodedCache(cacheDir);
                    MemoryProbe.resetPeak();
                    long t0 = System.nanoTime();
                    new org.cil4j.data.ImageFolderLoader(32, 32)
                            .withThreads(o.threads())
                            .withCache(cache)
                            .load(dir, "train");
                    double a = n / ((System.nanoTime() - t0) / 1e9);
                    peak1 = Math.max(peak1, MemoryProbe.peakRssMb());
                    MemoryProbe.resetPeak();
                    t0 = System.nanoTime();
                    new org.cil4j.data.ImageFolderLoader(32, 32)
                            .withThreads(o.threads())
                            .withCache(cache)
                            .load(dir, "train");
                    double b = n / ((System.nanoTime() - t0) / 1e9);
                    peak2 = Math.max(peak2, MemoryProbe.peakRssMb());
                    first.add(a);
                    second.add(b);
                    loadPairs.add(new double[] {a, b});
                } finally {
                    deleteTree(cacheDir);
                }
            }
        } catch (java.io.IOException e) {
            throw new org.cil4j.CilException("bench: cannot use a temporary cache folder: " + e.getMessage(), e);
        } finally {
            deleteTree(dir);
        }
        String what = "JPEG folder of " + n + " 64x64 images resized to 32x32, " + o.threads() + " decode thread(s), ";
        return new Row[] {
            new Row(what + "first load: decode and fill the cache", Stats.of(first), peak1),
            new Row(what + "second load: from the decoded cache", Stats.of(second), peak2)
        };
    }

    private static void deleteTree(Path p) {
        try (var walk = java.nio.file.Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(q);
            }
        } catch (java.io.IOException e) {
            // a temporary folder left behind
        }
    }

    private static int drain(Iterator<HostBatch> it) {
        int n = 0;
        while (it.hasNext()) {
            n += it.next().size();
        }
        return n;
    }
}
