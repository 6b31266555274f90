package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cil4j.checkpoint.StateReader;
import org.cil4j.checkpoint.StateWriter;
import org.cil4j.loss.Consolidation;
import org.cil4j.model.IncrementalNet;
import org.cil4j.train.Batch;
import org.cil4j.train.ParamGroup;
import org.cil4j.train.StepLoss;

/**
 * What EWC and MAS share, in FACIL's form ({@code src/approach/ewc.py}, {@code mas.py}): the
 * backbone's parameters after the previous phase and their importance, kept between phases and
 * checkpointed, and the phase's training with the quadratic penalty ({@link
 * Consolidation#penalty}). Only the backbone is regularized: FACIL keeps importance for {@code
 * model.model}, not for the heads. Without exemplars FACIL trains the backbone and the newest
 * head only (old heads leave the optimizer) on the cross-entropy of the newest head, in both
 * settings ({@code outputs[t]}); here the task-masked cross-entropy in the multi-task setting and
 * the cross-entropy over the new classes in the multi-class setting ({@link Lwf#newClasses}),
 * which are the same. A method says only how importance is measured.
 */
abstract class ImportancePenalty implements Method {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ImportancePenalty.class);
    private static final String BACKBONE = "backbone.";
    private NDManager manager;
    private final Map<String, NDArray> anchors = new LinkedHashMap<>();
    private final Map<String, NDArray> importance = new LinkedHashMap<>();
    /** The anchors and the importance, as the part of the state the checkpoints keep. */
    private final MethodState state = new MethodState();

    private final double lamb;
    private final double alpha;
    private final boolean squared;

    /**
     * @param lamb the penalty's weight {@code lambda}
     * @param alpha the weight of the kept importance when a phase's is merged into it
     * @param squared importance from the squared gradient (EWC), or from its magnitude (MAS)
     */
    ImportancePenalty(double lamb, double alpha, boolean squared) {
        this.lamb = lamb;
        this.alpha = alpha;
        this.squared = squared;
        state.add(MethodState.Part.of(
                this::saveImportance, this::loadImportance, java.util.Map::of, this::closeImportance));
    }

    /**
     * @param net the network
     * @param batch a batch of the phase's training data
     * @return the scalar loss whose gradients measure importance
     */
    abstract NDArray importanceLoss(IncrementalNet net, Batch batch);

    /**
     * Trains a phase: plain cross-entropy in the first, then the newest head's cross-entropy
     * plus {@code lambda} times the penalty, old heads frozen.
     *
     * @param ctx the phase
     */
    @Override
    public final void train(PhaseContext ctx) {
        String term = name();
        double lambda = lamb;
        if (ctx.phase() == 0) {
            ctx.fit(ctx.stage("train", ctx.phaseData(), ctx.classificationLoss(true)));
            return;
        }
        if (anchors.isEmpty()) {
            throw new IllegalStateException("phase " + (ctx.phase() + 1) + " has no parameter importance: the state "
                    + "after phase " + ctx.phase() + " was not kept or not restored");
        }
        warnIfUnstable(ctx, term, lambda);
        IncrementalNet net = ctx.net();
        int p = ctx.phase();
        List<NDArray> params = new ArrayList<>();
        anchors.keySet().forEach(n -> params.add(net.params().params().get(n)));
        List<NDArray> anchorList = List.copyOf(anchors.values());
        List<NDArray> importanceList = List.copyOf(importance.values());
        ctx.fit(ctx.stage("train", ctx.phaseData(), b -> {
                    NDArray logits = net.logits(net.features(b.x(), true));
                    NDArray penalty = Consolidation.penalty(b.manager(), params, anchorList, importanceList);
                    return new StepLoss()
                            .add("ce", Lwf.newClasses(ctx, b, logits))
                            .add(term, penalty.mul((float) lambda))
                            .accuracyFrom(Lwf.trainingScores(ctx, b, logits));
                })
                .withGroups(List.of(new ParamGroup(
                        "all-but-old-heads",
                        n -> !Lucir.isOldHead(n, p),
                        ctx.train().lr(),
                        ctx.train().weightDecay()))));
    }

    /**
     * After a phase: keeps the backbone as it is now and merges this phase's importance into
     * the kept one ({@link Consolidation#merge}), estimated on the phase's training data as
     * {@code sum over batches of f(g) * batch size / samples}, {@code f(g) = g^2} or {@code |g|}.
     *
     * @param ctx the phase just trained
     */
    @Override
    public final void afterPhase(PhaseContext ctx) {
        IncrementalNet net = ctx.net();
        if (manager == null) {
            manager = net.params().manager().getParentManager().newSubManager();
        }
        Map<String, NDArray> current = new LinkedHashMap<>();
        backbone(net).forEach((n, w) -> current.put(n, manager.zeros(w.getShape())));
        int samples = ctx.gradients(
                ctx.phaseData(),
                n -> n.startsWith(BACKBONE),
                b -> importanceLoss(net, b),
                (n, g, size) -> Consolidation.accumulate(current.get(n), g, size, squared));
        for (Map.Entry<String, NDArray> e : current.entrySet()) {
            NDArray estimate = e.getValue().divi((float) samples);
            NDArray kept = importance.get(e.getKey());
            if (kept == null) {
                importance.put(e.getKey(), estimate.muli((float) (1 - alpha))); // FACIL's merge into zeros
            } else {
                Consolidation.merge(kept, estimate, alpha);
                estimate.close();
            }
        }
        logSummary(ctx.phase());
        anchors.values().forEach(NDArray::close);
        anchors.clear();
        backbone(net).forEach((n, w) -> anchors.put(n, w.duplicate()));
        for (NDArray a : anchors.values()) {
            a.attach(manager);
        }
    }

    /**
     * Warns when the penalty alone makes SGD diverge: on a weight of importance {@code Omega}
     * the penalty is a quadratic of curvature {@code lambda * Omega}, and heavy-ball SGD at rate
     * {@code lr} and momentum {@code m} is stable on it only while {@code lr * lambda * Omega <
     * 2 (1 + m)}. FACIL's defaults (EWC's {@code lamb = 5000}) were set for its recipe (no
     * momentum, ResNet-32's small importances) and its grid search lowers them per dataset.
     */
    private void warnIfUnstable(PhaseContext ctx, String term, double lambda) {
        double max = 0;
        for (NDArray a : importance.values()) {
            max = Math.max(max, a.max().getFloat());
        }
        double limit = 2 * (1 + ctx.train().momentum()) / ctx.train().lr();
        if (lambda * max >= limit) {
            LOG.warn(
                    "{}: lamb {} times the largest importance {} is {}, at or above 2 (1 + momentum) / train.lr = {}: "
                            + "SGD diverges on the penalty alone; lower method.params.lamb below {}",
                    term,
                    lambda,
                    String.format("%.3g", max),
                    String.format("%.3g", lambda * max),
                    String.format("%.3g", limit),
                    String.format("%.3g", limit / max));
        }
    }

    /** Logs the kept importance's mean and maximum, which with lambda and the rate decide stability. */
    private void logSummary(int phase) {
        double sum = 0;
        double max = 0;
        long count = 0;
        for (NDArray a : importance.values()) {
            sum += a.sum().getFloat();
            max = Math.max(max, a.max().getFloat());
            count += a.size();
        }
        LOG.info(
                "importance after phase {}: mean {}, max {} over {} backbone weights",
                phase + 1,
                String.format("%.3g", sum / count),
                String.format("%.3g", max),
                count);
    }

    /** @return the backbone's learnable parameters by name */
    private static Map<String, NDArray> backbone(IncrementalNet net) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        net.params().params().forEach((n, w) -> {
            if (n.startsWith(BACKBONE)) {
                m.put(n, w);
            }
        });
        return m;
    }

    private void saveImportance(StateWriter w) {
        w.putAll("anchor.", anchors);
        w.putAll("importance.", importance);
    }

    private void loadImportance(StateReader r, PhaseContext ctx) {
        if (r.names().stream().noneMatch(n -> n.startsWith("anchor."))) {
            return;
        }
        IncrementalNet net = ctx.net();
        manager = net.params().manager().getParentManager().newSubManager();
        backbone(net).forEach((n, w) -> {
            anchors.put(n, manager.zeros(w.getShape()));
            importance.put(n, manager.zeros(w.getShape()));
        });
        r.copyInto("anchor.", anchors);
        r.copyInto("importance.", importance);
    }

    @Override
    public final MethodState state() {
        return state;
    }

    private void closeImportance() {
        if (manager != null) {
            manager.close();
            manager = null;
        }
        anchors.clear();
        importance.clear();
    }
}
