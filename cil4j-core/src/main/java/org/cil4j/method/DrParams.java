package org.cil4j.method;

import io.soabase.recordbuilder.core.RecordBuilder;
import org.cil4j.CilException;
import org.cil4j.loss.Distillation;

/**
 * Hyper-parameters of {@link Dr} (Hou, Pan, Loy, Wang, Lin, "Lifelong Learning via Progressive
 * Distillation and Retrospection", ECCV 2018). The two switches give the four variants of the
 * paper's tables: neither (LwF), distillation (D), retrospection (R), both (D+R).
 *
 * @param distillation adaptation by distillation (Sec. 3.2): train an expert on the new task
 *     first and distill the new head toward it
 * @param retrospection keep reserved samples of old tasks and distill the old heads on them
 *     (Sec. 3.3)
 * @param temperature distillation temperature; 2 (Sec. 4, following LwF)
 * @param weight weight of each {@code T^2}-scaled KL term (old heads, and the new head toward
 *     the expert); 0.25, the authors' released setting
 * @param reservedPerClass reserved samples kept per old class; 5 (the tin100-32-tasks protocol;
 *     the paper's Sec. 4 ablates 0 to 20)
 * @param reservedSelection "random" (the paper) or "herding" (iCaRL's rule on the network's
 *     features after the task)
 * @param reservedSeed seed of the random choice of reserved samples; 1 (the protocol)
 * @param oldOnReservedOnly distill the old heads on the reserved samples only, not on the new
 *     images (the released setting); when false, on both. When no reserved sample exists (R off,
 *     or 0 per class) the old heads are distilled on the new images as in LwF
 * @param hardLabels add the cross-entropy of the new head on the new labels. Default: off with
 *     distillation (the expert's soft outputs replace the hard labels, the released D+R setting
 *     has no hard-label loss), on without it (otherwise nothing would teach the new head); it
 *     cannot be off when distillation is off
 * @param lrRegime learning rates of the incremental phases' stages (expert and target):
 *     "uniform", every trained parameter at {@code train.lr} (the recipe every method of the
 *     protocols shares), or "release", the authors' released solvers (base_lr 0.001, a tenth of
 *     the 0.01 of Caffe's BVLC reference solver that trained their first, ImageNet, model, and
 *     lr_mult 10 on the new head, for the expert and for the target alike): the new head at {@code train.lr}, every other trained parameter at
 *     {@code train.lr / 10}. The schedule ({@code train.milestones}, {@code train.gamma})
 *     scales both. Default: uniform, the recipe LwF and the other methods train with; on
 *     fmnist-5x2 multi-task (1,000 images per class) release forgot less (0.25 points to 0.80)
 *     but learned the new tasks less well and ended lower (94.06% to 94.49%)
 */
@RecordBuilder
public record DrParams(
        @Default("true") boolean distillation,
        @Default("true") boolean retrospection,
        @Default("" + Distillation.DEFAULT_TEMPERATURE) double temperature,
        @Default("0.25") double weight,
        @Default("5") int reservedPerClass,
        @Default("random") String reservedSelection,
        @Default("1") long reservedSeed,
        @Default("true") boolean oldOnReservedOnly,
        Boolean hardLabels,
        @Default(DrParams.UNIFORM) String lrRegime)
        implements DrParamsBuilder.With {

    /** The new head and the rest at the same rate, {@code train.lr}. */
    public static final String UNIFORM = "uniform";
    /** The released solvers' rates: the new head at {@code train.lr}, the rest at a tenth of it. */
    public static final String RELEASE = "release";

    /** Checks the values. */
    public DrParams {
        if (hardLabels == null) {
            hardLabels = !distillation;
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new CilException("dr: temperature must be positive and finite, got " + temperature);
        }
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new CilException("dr: weight must be >= 0 and finite, got " + weight);
        }
        if (reservedPerClass < 0) {
            throw new CilException("dr: reservedPerClass must be >= 0, got " + reservedPerClass);
        }
        if (!"random".equals(reservedSelection) && !"herding".equals(reservedSelection)) {
            throw new CilException("dr: reservedSelection must be random or herding, not '" + reservedSelection + "'");
        }
        if (!UNIFORM.equals(lrRegime) && !RELEASE.equals(lrRegime)) {
            throw new CilException("dr: lrRegime must be uniform or release, not '" + lrRegime + "'");
        }
        if (!distillation && !hardLabels) {
            throw new CilException(
                    "dr: hardLabels cannot be false without distillation: nothing would train the new head");
        }
    }
}
