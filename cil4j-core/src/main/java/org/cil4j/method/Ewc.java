package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import io.soabase.recordbuilder.core.RecordBuilder;
import org.cil4j.CilException;
import org.cil4j.loss.Consolidation;
import org.cil4j.model.IncrementalNet;
import org.cil4j.train.Batch;

/**
 * Elastic Weight Consolidation (Kirkpatrick et al., Overcoming catastrophic forgetting in neural
 * networks, PNAS 2017), as FACIL's {@code src/approach/ewc.py} runs it.
 *
 * <p>Each phase after the first trains on the new data only with the newest head's
 * cross-entropy plus {@code lamb * sum F (theta - theta*)^2 / 2} over the backbone's parameters
 * (eq. 3), {@code theta*} the backbone after the previous phase ({@link ImportancePenalty}).
 * After each phase the diagonal of the empirical Fisher information is estimated on the phase's
 * training batches, the squared gradient of the cross-entropy of all outputs toward the network's
 * own prediction ({@link Consolidation#fisher}), and merged into the kept one with weight {@code
 * alpha}. Works in both settings; it keeps no samples.
 */
public final class Ewc extends ImportancePenalty {
    /**
     * EWC's hyper-parameters, FACIL's defaults.
     *
     * @param lamb the penalty's weight {@code lambda} (FACIL's {@code --lamb}, 5000)
     * @param alpha the weight of the kept Fisher information when a phase's is merged into it,
     *     {@code F = alpha F_old + (1 - alpha) F_new} (FACIL's {@code --alpha}, 0.5; its {@code
     *     -1}, a growing alpha, is not offered)
     * @param sampling the targets of the loss whose gradients make the Fisher information:
     *     "max_pred", the network's own prediction (FACIL's default), or "true", the labels
     *     (FACIL's {@code --fi-sampling-type})
     */
    @RecordBuilder
    public record Params(
            @Default("5000") double lamb,
            @Default("0.5") double alpha,
            @Default("max_pred") String sampling) implements EwcParamsBuilder.With {
        /** Checks the values. */
        public Params {
            checkLambAlpha("ewc", lamb, alpha);
            if (!"max_pred".equals(sampling) && !"true".equals(sampling)) {
                throw new CilException("ewc sampling must be \"max_pred\" or \"true\", got '" + sampling + "'");
            }
        }
    }

    private final Params params;

    /** @param params the hyper-parameters */
    public Ewc(Params params) {
        super(params.lamb(), params.alpha(), true);
        this.params = params;
    }

    /**
     * Refuses a weight or merge factor out of range, naming the method and the option.
     *
     * @param method "ewc" or "mas"
     * @param lamb the penalty's weight
     * @param alpha the merge factor
     */
    static void checkLambAlpha(String method, double lamb, double alpha) {
        if (!(lamb >= 0) || Double.isInfinite(lamb)) {
            throw new CilException(method + " lamb must be finite and >= 0, got " + lamb);
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new CilException(method + " alpha must be in [0, 1], got " + alpha);
        }
    }

    @Override
    public String name() {
        return "ewc";
    }

    /** @return the hyper-parameters */
    public Params params() {
        return params;
    }

    /** The cross-entropy of all outputs toward the prediction or the labels ({@link Consolidation#fisher}). */
    @Override
    NDArray importanceLoss(IncrementalNet net, Batch b) {
        return Consolidation.fisher(
                net.logits(net.features(b.x(), true)), "true".equals(params.sampling()) ? b.y() : null);
    }
}
