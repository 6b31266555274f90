package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.ArrayList;
import java.util.List;
import org.cil4j.CilException;
import org.cil4j.loss.Distillation;
import org.cil4j.memory.ExemplarMemory;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;
import org.cil4j.model.WeightAligning;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Weight Aligning (Zhao, Xiao, Gan, Zhang, Xia, Maintaining Discrimination and Fairness in Class
 * Incremental Learning, CVPR 2020), as PyCIL's {@code models/wa.py} trains it.
 *
 * <p>Each phase after the first trains the whole network on the new data plus the exemplars
 * with {@code (1 - lambda) CE + lambda KD} (or, {@code loss: "pycil-2021"}, PyCIL's earlier
 * {@code CE + 2 KD}), the cross-entropy over every class seen so far and
 * PyCIL's {@code _KD_loss} on the old classes' logits at {@code T = 2} ({@link
 * Distillation#softCrossEntropy}: summed over classes, divided by the batch, no {@code T^2}),
 * with {@code lambda = old / seen} classes (PyCIL's {@code kd_lambda}). After training the new
 * classes' weight rows are scaled so that their mean norm equals the old classes' ({@link
 * WeightAligning}); PyCIL aligns once after training and again in {@code after_task}, where the
 * second scale is 1. The paper also clips the weights to be non-negative after each step; PyCIL
 * does not, nor does this. Exemplars and class means as {@link Replay} ({@link ExemplarMethod});
 * needs the linear classifier.
 */
public final class Wa extends ExemplarMethod {
    private static final Logger LOG = LoggerFactory.getLogger(Wa.class);

    /**
     * WA's hyper-parameters.
     *
     * @param memoryPerClass exemplars per class without a budget ({@link Replay.Params})
     * @param memoryBudget total exemplars shared by the seen classes, or 0 ({@link
     *     Replay.Params})
     * @param selection "herding" or "random"
     * @param temperature the distillation's temperature, PyCIL's {@code T = 2}
     * @param loss how cross-entropy and distillation are weighed: "lambda" ({@code (1 - lambda)
     *     CE + lambda KD}, the WA paper's and PyCIL's {@code wa.py} since 2023-02) or "pycil-2021"
     *     ({@code CE + 2 KD}, PyCIL's {@code wa.py} before, behind its README's figures)
     */
    @RecordBuilder
    public record Params(
            @Default("" + ExemplarMemory.DEFAULT_PER_CLASS) int memoryPerClass,
            @Default("0") int memoryBudget,
            @Default("herding") String selection,
            @Default("" + Distillation.DEFAULT_TEMPERATURE) double temperature,
            @Default("lambda") String loss)
            implements WaParamsBuilder.With {
        /** Checks the values. */
        public Params {
            new Replay.Params(memoryPerClass, memoryBudget, selection);
            if (!(temperature > 0) || Double.isInfinite(temperature)) {
                throw new CilException("wa temperature must be positive and finite, got " + temperature);
            }
            weighing(loss);
        }

        ExemplarMethod.Weighing weighing() {
            return weighing(loss);
        }

        private static ExemplarMethod.Weighing weighing(String loss) {
            return switch (loss == null ? "" : loss) {
                case "lambda" -> ExemplarMethod.Weighing.LAMBDA;
                case "pycil-2021" -> ExemplarMethod.Weighing.CE_PLUS_TWO_KD;
                default -> throw new CilException("wa loss must be \"lambda\" or \"pycil-2021\", got '" + loss + "'");
            };
        }

        Replay.Params memory() {
            return new Replay.Params(memoryPerClass, memoryBudget, selection);
        }
    }

    private final Params params;

    /** @param params the hyper-parameters */
    public Wa(Params params) {
        super(params.memory());
        this.params = params;
    }

    @Override
    public String name() {
        return "wa";
    }

    /** @return the hyper-parameters */
    public Params params() {
        return params;
    }

    @Override
    public void checkModel(ModelConfig model) {
        requireLinear(model, "aligns the norms of a linear classifier's weights");
    }

    @Override
    public void train(PhaseContext ctx) {
        checkModel(ctx.net().config());
        if (ctx.phase() == 0) {
            ctx.fit(ctx.stage("train", ctx.phaseData(), ctx.classificationLoss(true)));
            return;
        }
        ctx.fit(ctx.stage(
                "train", memory(ctx).mix(ctx.phaseData()), distillation(ctx, params.temperature(), params.weighing())));
    }

    /** Aligns the new classes' weights, then chooses exemplars (as replay) and keeps the model. */
    @Override
    public void afterPhase(PhaseContext ctx) {
        if (ctx.phase() > 0) {
            align(ctx.net(), ctx.phase());
        }
        super.afterPhase(ctx);
        state.snapshot(ctx.net());
    }

    /**
     * Scales the newest head's weight rows to the old heads' mean norm.
     *
     * @param net the network after training
     * @param phase its newest head
     */
    static void align(IncrementalNet net, int phase) {
        int dim = net.backbone().featureDim();
        List<float[]> old = new ArrayList<>();
        for (int h = 0; h < phase; h++) {
            old.addAll(List.of(WeightAligning.rows(net.headWeight(h).toFloatArray(), dim)));
        }
        NDArray head = net.headWeight(phase);
        double gamma = WeightAligning.gamma(old.toArray(new float[0][]), WeightAligning.rows(head.toFloatArray(), dim));
        LOG.info(
                "weight aligning, phase {}: the new classes' weights scaled by gamma = {}",
                phase + 1,
                String.format("%.4f", gamma));
        head.muli((float) gamma);
    }
}
