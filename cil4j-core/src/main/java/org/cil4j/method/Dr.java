package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.cil4j.checkpoint.StateReader;
import org.cil4j.checkpoint.StateWriter;
import org.cil4j.data.ImageDataset;
import org.cil4j.loss.CrossEntropy;
import org.cil4j.memory.Herding;
import org.cil4j.model.IncrementalNet;
import org.cil4j.train.Batch;
import org.cil4j.train.ParamGroup;
import org.cil4j.train.Stage;
import org.cil4j.train.StepLoss;
import org.cil4j.util.Rng;

/**
 * Distillation and Retrospection (Hou, Pan, Loy, Wang, Lin, "Lifelong Learning via Progressive
 * Distillation and Retrospection", ECCV 2018), with both ideas behind switches so that LwF, D,
 * R and D+R can be compared ({@link DrParams}).
 *
 * <p>For each new task, with the <em>original model</em> a frozen copy of the network before
 * the task:
 *
 * <ul>
 *   <li><b>D</b> (Sec. 3.2): a stage named "expert" first fine-tunes a copy of the network on
 *       the new task alone (cross-entropy of the new head, the phase recipe; old heads do not
 *       train). The target model then learns its new head from the expert's soft outputs on the
 *       new images, {@code weight * T^2 KL(expert || new head)}, instead of (or, with {@code
 *       hardLabels}, besides) the labels. The expert is freed when the task is done.
 *   <li><b>R</b> (Sec. 3.3): after each task a few training samples per class are reserved
 *       (random with their own seed, or herding). Every batch of new images carries as many
 *       reserved samples of the old tasks ({@link Stage#withSecondary}), read in passes over the
 *       reserved set that run on from step to step, as the release feeds them (two Caffe data
 *       layers of batch 128, new and reserved, each restarting at the end of its database; each
 *       pass here is a fresh permutation, where Caffe reads its database in one stored order).
 *       When there are fewer reserved samples than a batch, each comes several times. The old
 *       heads are distilled toward the original model on them (only on them when {@code
 *       oldOnReservedOnly}, the released setting), while the new images feed the new head. Both
 *       halves pass through the network together, so batch norm sees one batch.
 *   <li>Without R (or with no reserved sample), the old heads are distilled on the new images,
 *       as in {@link Lwf}.
 * </ul>
 *
 * Both stages of an incremental phase train at {@code train.lr}, or, with {@code lrRegime}
 * "release", as the released solvers do: the new head at {@code train.lr}, the rest at a tenth.
 *
 * <p>With the defaults, D+R is the released setting with no hard-label loss: {@code 0.25 KD(old
 * heads, original, reserved) + 0.25 KD(new head, expert, new images)}. Each old head is
 * distilled on all reserved samples, whichever task they come from, just as LwF distills every
 * old head on the new images. In the multi-task setting heads are distilled one by one
 * ({@link HeadDistillation}). The first phase is plain training.
 */
public final class Dr implements Method {
    private static final String RESERVED = "reserved.class.";
    private final String name;
    private final DrParams params;
    private final MethodState state = new MethodState();
    /** Each old class's reserved samples: positions among its training images, in phase order. */
    private final Map<Integer, int[]> reservedPositions = new TreeMap<>();

    private ImageDataset reserved;

    /**
     * @param name the registry name (dr, dr-d, dr-r, dr-dr)
     * @param params the hyper-parameters
     */
    public Dr(String name, DrParams params) {
        this.name = name;
        this.params = params;
        state.add(MethodState.Part.of(this::saveReserved, this::loadReserved, this::reservedReport, () -> {}));
    }

    @Override
    public String name() {
        return name;
    }

    /** @return the hyper-parameters */
    public DrParams params() {
        return params;
    }

    /** @return the reserved samples of the old tasks (incremental labels), or null when none */
    public ImageDataset reserved() {
        return reserved;
    }

    @Override
    public void train(PhaseContext ctx) {
        if (ctx.phase() == 0) {
            ctx.fit(ctx.stage("train", ctx.phaseData(), ctx.classificationLoss(true)));
            return;
        }
        IncrementalNet original = state.requireOld(ctx);
        IncrementalNet expert = null;
        try {
            if (params.distillation()) {
                expert = trainExpert(ctx);
            }
            IncrementalNet teacherNew = expert;
            boolean retro = params.retrospection() && reserved != null && reserved.size() > 0;
            Stage stage = ctx.stage("train", ctx.phaseData(), b -> loss(ctx, b, original, teacherNew, retro))
                    .withGroups(groups(ctx, n -> true));
            if (retro) {
                stage = stage.withSecondary(reserved, ctx.train().batchSize());
            }
            ctx.fit(stage);
        } finally {
            if (expert != null) {
                expert.close();
            }
        }
    }

    /**
     * The parameter groups of an incremental stage at the rates of {@link DrParams#lrRegime}.
     *
     * @param ctx the phase
     * @param trains the parameters the stage trains
     * @return one group (uniform), or the new head at {@code train.lr} and the rest at a tenth
     *     of it (release); the first group's rate is the one the epoch log shows
     */
    private List<ParamGroup> groups(PhaseContext ctx, Predicate<String> trains) {
        double lr = ctx.train().lr();
        double wd = ctx.train().weightDecay();
        if (params.lrRegime().equals(DrParams.UNIFORM)) {
            return List.of(new ParamGroup("all", trains, lr, wd));
        }
        String head = IncrementalNet.headPrefix(ctx.phase());
        return List.of(
                new ParamGroup("base", n -> trains.test(n) && !n.startsWith(head), lr / 10, wd),
                new ParamGroup("new-head", n -> trains.test(n) && n.startsWith(head), lr, wd));
    }

    /** Fine-tunes a copy of the network on the new task alone: backbone and new head. */
    private IncrementalNet trainExpert(PhaseContext ctx) {
        IncrementalNet expert = ctx.net().frozenCopy();
        try {
            String head = IncrementalNet.headPrefix(ctx.phase());
            List<ParamGroup> groups = groups(ctx, n -> !n.startsWith("head.") || n.startsWith(head));
            ctx.fit(Stage.standard(
                            "expert",
                            expert,
                            ctx.phaseData(),
                            b -> {
                                NDArray logits = expert.logits(expert.features(b.x(), true));
                                // Every sample belongs to the new task: the task mask leaves the new head alone.
                                NDArray mask =
                                        b.taskMask((int) logits.getShape().get(1));
                                return new StepLoss()
                                        .add("ce", CrossEntropy.loss(logits, b.y(), mask))
                                        .accuracyFrom(logits.stopGradient().add(mask));
                            },
                            ctx.train())
                    .withGroups(groups));
            return expert;
        } catch (RuntimeException e) {
            expert.close();
            throw e;
        }
    }

    private StepLoss loss(PhaseContext ctx, Batch b, IncrementalNet original, IncrementalNet expert, boolean retro) {
        IncrementalNet net = ctx.net();
        Batch sec = retro ? b.secondary() : null;
        int n = b.size();
        NDArray x = sec == null ? b.x() : b.x().concat(sec.x(), 0);
        NDArray all = net.logits(net.features(x, true));
        NDArray logitsNew = sec == null ? all : all.get("0:" + n);
        float w = (float) params.weight();
        double t = params.temperature();
        StepLoss loss = new StepLoss();
        if (params.hardLabels()) {
            loss.add("ce", ctx.classification(b, logitsNew));
        }
        if (expert != null) {
            NDArray target = expert.logits(expert.features(b.x(), false));
            loss.add(
                    "kd_new",
                    HeadDistillation.head(
                                    logitsNew,
                                    target,
                                    ctx.oldClasses(),
                                    ctx.scenario().size(ctx.phase()),
                                    t)
                            .mul(w));
        }
        NDArray student;
        NDArray oldX;
        if (sec == null) {
            student = logitsNew;
            oldX = b.x();
        } else if (params.oldOnReservedOnly()) {
            student = all.get(n + ":");
            oldX = sec.x();
        } else {
            student = all;
            oldX = x;
        }
        NDArray teacher = original.logits(original.features(oldX, false));
        loss.add(
                "kd_old",
                HeadDistillation.oldHeads(
                                student,
                                teacher,
                                net.headSizes(),
                                original.numHeads(),
                                ctx.scenario().multiTask(),
                                t)
                        .mul(w));
        return loss.accuracyFrom(Lwf.trainingScores(ctx, b, logitsNew));
    }

    @Override
    public void afterPhase(PhaseContext ctx) {
        state.snapshot(ctx.net());
        if (params.retrospection() && params.reservedPerClass() > 0) {
            reserve(ctx);
        }
    }

    /** Adds the reserved samples of the phase's classes. */
    private void reserve(PhaseContext ctx) {
        ImageDataset data = ctx.phaseData();
        float[][] features = params.reservedSelection().equals("herding") ? ctx.features(ctx.net(), data, false) : null;
        int m = params.reservedPerClass();
        for (int k = ctx.oldClasses(); k < ctx.seen(); k++) {
            int[] idx = data.indicesOf(k);
            int[] pos;
            if (features == null) {
                int[] shuffled = new int[idx.length];
                Arrays.setAll(shuffled, i -> i);
                Rng.shuffle(shuffled, Rng.stream(params.reservedSeed(), "reserved", k));
                pos = Arrays.copyOf(shuffled, Math.min(m, shuffled.length));
            } else {
                float[][] f = new float[idx.length][];
                for (int i = 0; i < idx.length; i++) {
                    f[i] = features[idx[i]];
                }
                pos = Herding.select(f, m);
            }
            reservedPositions.put(k, pos);
            reserved = append(
                    reserved, data.subset(Arrays.stream(pos).map(i -> idx[i]).toArray()));
        }
    }

    private void saveReserved(StateWriter w) {
        reservedPositions.forEach((k, pos) -> w.putInts(RESERVED + k, pos));
    }

    private void loadReserved(StateReader r, PhaseContext ctx) {
        reserved = null;
        reservedPositions.clear();
        for (int k = 0; r.has(RESERVED + k); k++) {
            reserved = append(reserved, ctx.storedSamples(r, RESERVED + k, k, "reserved sample"));
            reservedPositions.put(k, r.ints(RESERVED + k));
        }
    }

    private static ImageDataset append(ImageDataset a, ImageDataset b) {
        if (a == null) {
            return b;
        }
        byte[] px = Arrays.copyOf(a.pixels(), a.pixels().length + b.pixels().length);
        System.arraycopy(b.pixels(), 0, px, a.pixels().length, b.pixels().length);
        int[] labels = Arrays.copyOf(a.labels(), a.size() + b.size());
        System.arraycopy(b.labels(), 0, labels, a.size(), b.size());
        return new ImageDataset("reserved", px, labels, a.channels(), a.height(), a.width(), a.classNames());
    }

    private Map<String, Object> reservedReport() {
        if (!params.retrospection()) {
            return Map.of();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("reservedSamples", reserved == null ? 0 : reserved.size());
        m.put("reservedBytes", reserved == null ? 0L : (long) reserved.pixels().length);
        m.put("reservedPerClass", params.reservedPerClass());
        m.put("reservedSelection", params.reservedSelection());
        return m;
    }

    @Override
    public MethodState state() {
        return state;
    }
}
