package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.cil4j.loss.CrossEntropy;
import org.cil4j.model.IncrementalNet;
import org.cil4j.train.Batch;
import org.cil4j.train.ParamGroup;
import org.cil4j.train.StepLoss;

/**
 * Learning without Forgetting (Li &amp; Hoiem, "Learning without Forgetting", ECCV 2016).
 *
 * <p>Before each new task the network as it was (the <em>original model</em>, a frozen copy)
 * records its old heads' outputs on the new task's images; the network then trains on the new
 * task with
 *
 * <pre>
 *   L = CE(new head, new labels) + weight * sum over old heads h of T^2 KL(p_orig,h^T || p_h^T)
 * </pre>
 *
 * computed on the same augmented images (the teacher's outputs are taken batch by batch, which
 * is what recording them on the augmented data amounts to). In the multi-task setting the
 * classification term is the task-masked cross-entropy and each old head is distilled on its
 * own softmax ({@link HeadDistillation}). In the multi-class setting the old classes are
 * distilled together and the cross-entropy covers the new classes only, as FACIL ({@code
 * lwf.py}, {@code criterion} without exemplars: {@code outputs[t]}, targets minus the task
 * offset) and PyCIL ({@code lwf.py}: {@code logits[:, known:]}, {@code targets - known}) train
 * it. Optionally a warm-up first trains the new head alone (paper, Sec. 3) on the same
 * classification term (FACIL's warm-up: {@code outputs[t]} too). The first phase is plain
 * training.
 */
public final class Lwf implements Method {
    private final LwfParams params;
    private final MethodState state = new MethodState();

    /** @param params the hyper-parameters */
    public Lwf(LwfParams params) {
        this.params = params;
    }

    @Override
    public String name() {
        return "lwf";
    }

    /** @return the hyper-parameters */
    public LwfParams params() {
        return params;
    }

    @Override
    public void train(PhaseContext ctx) {
        if (ctx.phase() == 0) {
            ctx.fit(ctx.stage("train", ctx.phaseData(), ctx.classificationLoss(true)));
            return;
        }
        IncrementalNet original = state.requireOld(ctx);
        if (params.warmupEpochs() > 0) {
            String head = IncrementalNet.headPrefix(ctx.phase());
            IncrementalNet net = ctx.net();
            ctx.fit(ctx.stage("warmup", ctx.phaseData(), b -> {
                        NDArray logits = net.logits(net.features(b.x(), false).stopGradient());
                        return new StepLoss()
                                .add("ce", newClasses(ctx, b, logits))
                                .accuracyFrom(logits);
                    })
                    .withGroups(List.of(new ParamGroup(
                            "new-head",
                            n -> n.startsWith(head),
                            ctx.train().lr(),
                            ctx.train().weightDecay())))
                    .withSchedule(params.warmupEpochs(), List.of(), 1.0));
        }
        ctx.fit(ctx.stage("train", ctx.phaseData(), b -> loss(ctx, b, original)));
    }

    private StepLoss loss(PhaseContext ctx, Batch b, IncrementalNet original) {
        IncrementalNet net = ctx.net();
        NDArray logits = net.logits(net.features(b.x(), true));
        NDArray teacher = original.logits(original.features(b.x(), false)).stopGradient();
        boolean multiTask = ctx.scenario().multiTask();
        NDArray kd = HeadDistillation.oldHeads(
                logits, teacher, net.headSizes(), original.numHeads(), multiTask, params.temperature());
        return new StepLoss()
                .add("ce", newClasses(ctx, b, logits))
                .add("kd_old", kd.mul((float) params.weight()))
                .accuracyFrom(trainingScores(ctx, b, logits));
    }

    /**
     * The classification term of a phase after the first, whose images all belong to its new
     * classes: the task-masked cross-entropy in the multi-task setting (the new task's head), the
     * cross-entropy over the new classes' logits alone in the multi-class setting.
     */
    static NDArray newClasses(PhaseContext ctx, Batch b, NDArray logits) {
        if (ctx.scenario().multiTask()) {
            return ctx.classification(b, logits);
        }
        return CrossEntropy.from(logits, b.y(), ctx.oldClasses());
    }

    /**
     * The scores the training accuracy is read from: the task-masked logits in the multi-task
     * setting (the oracle picks the head), the logits otherwise.
     */
    static NDArray trainingScores(PhaseContext ctx, Batch b, NDArray logits) {
        if (!ctx.scenario().multiTask()) {
            return logits;
        }
        return logits.stopGradient().add(b.taskMask((int) logits.getShape().get(1)));
    }

    @Override
    public void afterPhase(PhaseContext ctx) {
        state.snapshot(ctx.net());
    }

    @Override
    public MethodState state() {
        return state;
    }
}
