package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import java.util.Locale;
import org.cil4j.CilException;
import org.cil4j.loss.CrossEntropy;
import org.cil4j.loss.Distillation;
import org.cil4j.loss.IcarlLoss;
import org.cil4j.train.StepLoss;

/**
 * How iCaRL and LwF-MC train, named after the code each follows. The paper's loss is
 * implemented by none of the common code bases: FACIL and PyCIL keep a softmax
 * cross-entropy over all classes seen so far and add a distillation term for the old
 * classes, so their networks' outputs classify new classes as well as old ones.
 */
public enum IcarlVariant {
    /**
     * FACIL ({@code src/approach/icarl.py}, {@code criterion}): cross-entropy over all classes
     * seen so far plus {@link IcarlLoss#sigmoidDistillation}, the sigmoid binary
     * cross-entropy of each old class toward the previous model's, summed over the old
     * classes, weight {@code lamb = 1}. The first phase is plain cross-entropy.
     */
    FACIL,
    /**
     * PyCIL ({@code models/icarl.py}, {@code _update_representation}): cross-entropy over all
     * classes seen so far plus {@code _KD_loss} on the old logits at {@code T = 2}, a soft
     * cross-entropy summed over classes and divided by the batch size ({@link
     * Distillation#softCrossEntropy}), weight 1, no {@code T^2}. The first phase is plain
     * cross-entropy.
     */
    PYCIL,
    /**
     * The paper (Algorithm 3) and its released code: sigmoid binary cross-entropy on every
     * output from the first phase on, one-hot targets on the new classes and the previous
     * model's sigmoid outputs on the old ones, averaged over all outputs ({@link
     * IcarlLoss#loss}). Because of that mean the released code trains at {@link #PAPER_LR}
     * with weight decay {@link #PAPER_WEIGHT_DECAY}; a run of this variant should set {@code
     * train.lr} and {@code train.weightDecay} to them (the method warns when it does not).
     */
    PAPER;

    /** Learning rate of the released iCaRL code (main_cifar_100_theano.py, {@code lr_old}). */
    public static final double PAPER_LR = 2.0;
    /** Weight decay of the released iCaRL code ({@code wght_decay}). */
    public static final double PAPER_WEIGHT_DECAY = 1e-5;

    /**
     * @param name "facil", "pycil" or "paper"
     * @return the variant
     */
    public static IcarlVariant of(String name) {
        for (IcarlVariant v : values()) {
            if (v.key().equals(name)) {
                return v;
            }
        }
        throw new CilException("variant must be \"facil\", \"pycil\" or \"paper\", got '" + name + "'");
    }

    /** @return the name in configs */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return what the first phase optimizes ({@link Method#baseRecipe}) */
    public String baseRecipe() {
        return this == PAPER ? "sigmoid-bce" : "cross-entropy";
    }

    /**
     * The loss of a batch.
     *
     * @param logits the student's logits over the classes seen so far, (batch, classes)
     * @param teacher the previous model's logits on the old classes, (batch, old), constants;
     *     null when {@code old == 0}
     * @param labels class indices, (batch)
     * @param old the number of old classes
     * @return the named terms: "bce" (paper), or "ce" and, after the first phase, "kd_old"
     */
    public StepLoss loss(NDArray logits, NDArray teacher, NDArray labels, int old) {
        StepLoss loss = new StepLoss().accuracyFrom(logits);
        if (this == PAPER) {
            return loss.add("bce", IcarlLoss.loss(logits, teacher, labels, old));
        }
        loss.add("ce", CrossEntropy.loss(logits, labels));
        if (old == 0) {
            return loss;
        }
        NDArray student = HeadDistillation.slice(logits, 0, old);
        return loss.add(
                "kd_old",
                this == FACIL
                        ? IcarlLoss.sigmoidDistillation(student, teacher)
                        : Distillation.softCrossEntropy(student, teacher, Distillation.DEFAULT_TEMPERATURE));
    }

    String describe() {
        return switch (this) {
            case FACIL ->
                "cross-entropy over the seen classes + sum over old classes of sigmoid BCE toward the "
                        + "previous model (FACIL icarl.py, lamb 1)";
            case PYCIL ->
                "cross-entropy over the seen classes + soft cross-entropy at T=2 on the old logits, "
                        + "summed over classes / batch (PyCIL icarl.py _KD_loss)";
            case PAPER -> "sigmoid BCE averaged over all outputs from the first phase on (paper, Algorithm 3)";
        };
    }
}
