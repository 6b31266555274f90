package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import org.cil4j.CilException;
import org.cil4j.loss.Distillation;
import org.cil4j.memory.ExemplarMemory;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;
import org.cil4j.train.Stage;
import org.cil4j.train.StepLoss;

/**
 * What the methods built on replay share ({@link Replay}, {@link Wa}, {@link Bic}): the exemplar memory, the
 * class means of the nearest mean of exemplars and, for those that distill, the old model, kept
 * in one {@link MethodState}, which the experiment saves, restores and closes. After each phase the new classes' exemplars
 * are chosen and the class means recomputed.
 */
abstract class ExemplarMethod implements Method {
    /** The memory, the class means, and the old model of the methods that distill. */
    final MethodState state;

    /** @param memoryParams the memory's size and choice */
    ExemplarMethod(Replay.Params memoryParams) {
        state = new MethodState(memoryParams::memory);
    }

    /**
     * @param ctx the phase
     * @return the memory, created empty in the first phase
     */
    final ExemplarMemory memory(PhaseContext ctx) {
        return state.memory(ctx);
    }

    /**
     * Refuses any classifier but the linear one for a method that needs it (WA's norms, BiC's
     * affine correction of a head's outputs); for {@link #checkModel}.
     *
     * @param model the run's model
     * @param why what the method does with the linear classifier, for the message
     */
    final void requireLinear(ModelConfig model, String why) {
        if (!model.classifier().equals("linear")) {
            throw new CilException(
                    name() + " " + why + ": it needs model.classifier = linear, not " + model.classifier());
        }
    }

    /**
     * The loss of WA and BiC after the first phase (PyCIL's {@code wa.py} and {@code bic.py}):
     * cross-entropy and distillation on the network's logits ({@link #distillationLoss}), the old
     * model's logits on the same images as the teacher.
     *
     * @param ctx the phase (not the first)
     * @param temperature the distillation's temperature
     * @param weighing how the two terms are weighed
     * @return the batch loss
     */
    final Stage.BatchLoss distillation(PhaseContext ctx, double temperature, Weighing weighing) {
        IncrementalNet net = ctx.net();
        IncrementalNet teacher = state.requireOld(ctx);
        return b -> {
            NDArray logits = net.logits(net.features(b.x(), true));
            NDArray target = teacher.logits(teacher.features(b.x(), false)).stopGradient();
            return distillationLoss(logits, ctx.classification(b, logits), target, temperature, weighing);
        };
    }

    /** How cross-entropy and distillation are weighed after the first phase. */
    enum Weighing {
        /**
         * {@code (1 - lambda) CE + lambda KD}, {@code lambda = old / seen} classes: BiC's paper
         * and PyCIL's {@code bic.py}; PyCIL's {@code wa.py} since {@code 716625e} (2023-02-16).
         */
        LAMBDA,
        /**
         * {@code CE + 2 KD}: PyCIL's {@code wa.py} from its first commit ({@code 44cda2e},
         * 2021-12-23) until {@code kd_lambda} replaced it, the loss its README's CIFAR-100
         * figures were made with.
         */
        CE_PLUS_TWO_KD;

        float ce(int old, int seen) {
            return this == LAMBDA ? 1 - (float) old / seen : 1f;
        }

        float kd(int old, int seen) {
            return this == LAMBDA ? (float) old / seen : 2f;
        }
    }

    /**
     * The loss of a batch after the first phase: {@code (1 - lambda) CE + lambda KD}, {@code
     * lambda = old / seen} classes (PyCIL's {@code kd_lambda} in {@code wa.py}, {@code lamda} in
     * {@code bic.py}; BiC's paper, Sec. 3: {@code n / (n + m)}), or another {@link Weighing} of
     * the same terms, KD being PyCIL's {@code _KD_loss}
     * on the old classes' logits ({@link Distillation#softCrossEntropy}: summed over classes,
     * divided by the batch, no {@code T^2}).
     *
     * @param logits the student's logits over the classes seen, (batch, seen)
     * @param classification the setting's cross-entropy on them
     * @param teacher the old model's logits, (batch, old), constants
     * @param temperature the distillation's temperature
     * @param weighing how the two terms are weighed
     * @return the weighted terms "ce" and "kd_old"
     */
    static StepLoss distillationLoss(
            NDArray logits, NDArray classification, NDArray teacher, double temperature, Weighing weighing) {
        int old = (int) teacher.getShape().get(1);
        int seen = (int) logits.getShape().get(1);
        NDArray kd = Distillation.softCrossEntropy(HeadDistillation.slice(logits, 0, old), teacher, temperature);
        return new StepLoss()
                .add("ce", classification.mul(weighing.ce(old, seen)))
                .add("kd_old", kd.mul(weighing.kd(old, seen)))
                .accuracyFrom(logits);
    }

    /** Chooses the phase's exemplars and recomputes the class means with the network as trained. */
    @Override
    public void afterPhase(PhaseContext ctx) {
        ExemplarMemory memory = memory(ctx);
        memory.update(ctx.phaseData(), ctx.oldClasses(), ctx.seen(), d -> ctx.features(ctx.net(), d, false));
        state.means(memory.classMeans(d -> ctx.features(ctx.net(), d, false), false));
    }

    @Override
    public final MethodState state() {
        return state;
    }
}
