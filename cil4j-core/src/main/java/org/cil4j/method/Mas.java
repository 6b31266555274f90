package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import io.soabase.recordbuilder.core.RecordBuilder;
import org.cil4j.loss.Consolidation;
import org.cil4j.model.IncrementalNet;
import org.cil4j.train.Batch;

/**
 * Memory Aware Synapses (Aljundi, Babiloni, Elhoseiny, Rohrbach, Tuytelaars, ECCV 2018), the
 * global version, as FACIL's {@code src/approach/mas.py} runs it.
 *
 * <p>Training is EWC's ({@link ImportancePenalty}): the newest head's cross-entropy plus {@code
 * lamb * sum Omega (theta - theta*)^2 / 2} over the backbone (eq. 3). Only the importance
 * differs: after each phase, the mean over the phase's training samples of the magnitude of the
 * gradient of the outputs' L2 norm ({@link Consolidation#outputNorm}; no labels needed, eq. 2),
 * merged into the kept one with weight {@code alpha}. Works in both settings; it keeps no
 * samples.
 */
public final class Mas extends ImportancePenalty {
    /**
     * MAS's hyper-parameters, FACIL's defaults.
     *
     * @param lamb the penalty's weight {@code lambda} (FACIL's {@code --lamb}, 1, the value of
     *     the authors' notebook)
     * @param alpha the weight of the kept importance when a phase's is merged into it (FACIL's
     *     {@code --alpha}, 0.5)
     */
    @RecordBuilder
    public record Params(
            @Default("1") double lamb, @Default("0.5") double alpha) implements MasParamsBuilder.With {
        /** Checks the values. */
        public Params {
            Ewc.checkLambAlpha("mas", lamb, alpha);
        }
    }

    private final Params params;

    /** @param params the hyper-parameters */
    public Mas(Params params) {
        super(params.lamb(), params.alpha(), false);
        this.params = params;
    }

    @Override
    public String name() {
        return "mas";
    }

    /** @return the hyper-parameters */
    public Params params() {
        return params;
    }

    /** The batch mean of the outputs' L2 norms ({@link Consolidation#outputNorm}). */
    @Override
    NDArray importanceLoss(IncrementalNet net, Batch b) {
        return Consolidation.outputNorm(net.logits(net.features(b.x(), true)));
    }
}
