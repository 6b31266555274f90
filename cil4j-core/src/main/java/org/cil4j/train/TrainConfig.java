package org.cil4j.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.List;
import org.cil4j.CilException;

/**
 * The optimization recipe of each phase. Defaults are the shared settings of PROTOCOLS.md
 * (SGD, momentum 0.9, weight decay 5e-4, batch 128), as in iCaRL and LUCIR.
 *
 * @param epochs epochs per phase
 * @param batchSize training batch size
 * @param lr base learning rate
 * @param momentum SGD momentum
 * @param weightDecay L2 weight decay
 * @param milestones epochs after which the rate is multiplied by {@code gamma}
 * @param gamma the decay factor
 * @param augment training augmentation
 * @param evalBatchSize batch size for evaluation and feature extraction
 */
@RecordBuilder
public record TrainConfig(
        int epochs,
        int batchSize,
        double lr,
        double momentum,
        double weightDecay,
        List<Integer> milestones,
        double gamma,
        Augment augment,
        int evalBatchSize)
        implements TrainConfigBuilder.With {

    /** Reads the record, filling defaults for missing keys. */
    @JsonCreator
    public static TrainConfig of(
            @JsonProperty("epochs") Integer epochs,
            @JsonProperty("batchSize") Integer batchSize,
            @JsonProperty("lr") Double lr,
            @JsonProperty("momentum") Double momentum,
            @JsonProperty("weightDecay") Double weightDecay,
            @JsonProperty("milestones") List<Integer> milestones,
            @JsonProperty("gamma") Double gamma,
            @JsonProperty("augment") Augment augment,
            @JsonProperty("evalBatchSize") Integer evalBatchSize) {
        return new TrainConfig(
                epochs == null ? 8 : epochs,
                batchSize == null ? 128 : batchSize,
                lr == null ? 0.1 : lr,
                momentum == null ? 0.9 : momentum,
                weightDecay == null ? 5e-4 : weightDecay,
                milestones == null ? List.of() : milestones,
                gamma == null ? 0.1 : gamma,
                augment == null ? Augment.NONE : augment,
                evalBatchSize == null ? 256 : evalBatchSize);
    }

    /** Checks the values. */
    public TrainConfig {
        if (epochs < 1) {
            throw new CilException("train.epochs must be at least 1, got " + epochs);
        }
        if (batchSize < 2) {
            throw new CilException("train.batchSize must be at least 2, got " + batchSize);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new CilException("train.lr must be positive, got " + lr);
        }
        if (momentum < 0 || momentum >= 1) {
            throw new CilException("train.momentum must be in [0, 1), got " + momentum);
        }
        if (weightDecay < 0) {
            throw new CilException("train.weightDecay must be >= 0, got " + weightDecay);
        }
        if (!(gamma > 0)) {
            throw new CilException("train.gamma must be positive, got " + gamma);
        }
        if (evalBatchSize < 1) {
            throw new CilException("train.evalBatchSize must be at least 1, got " + evalBatchSize);
        }
        milestones = List.copyOf(milestones);
        for (int m : milestones) {
            if (m < 1) {
                throw new CilException("train.milestones must be epochs >= 1, got " + m);
            }
        }
    }

    /**
     * The multi-step schedule's factor for an epoch (0-based): gamma to the number of
     * milestones already passed.
     *
     * @param epoch 0-based epoch
     * @param milestones the milestones
     * @param gamma the decay factor
     * @return the factor applied to the base rate
     */
    public static double lrFactor(int epoch, List<Integer> milestones, double gamma) {
        int passed = 0;
        for (int m : milestones) {
            if (epoch >= m) {
                passed++;
            }
        }
        return Math.pow(gamma, passed);
    }
}
