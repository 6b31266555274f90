package org.cil4j.method;

import io.soabase.recordbuilder.core.RecordBuilder;
import org.cil4j.CilException;
import org.cil4j.loss.Distillation;

/**
 * Hyper-parameters of {@link Lwf}.
 *
 * @param temperature distillation temperature; 2 (Li &amp; Hoiem, ECCV 2016, Sec. 3: "T = 2")
 * @param weight weight of each old head's {@code T^2}-scaled KL term; 0.25, the LwF setting
 *     released by the DR authors (Hou et al., ECCV 2018) and used by the tin100-32-tasks
 *     protocol. At {@code T = 2} it equals Li &amp; Hoiem's loss balance {@code lambda_o = 1}
 *     on the unscaled term (their cross-entropy differs from the KL by a constant)
 * @param warmupEpochs epochs that train only the new head, backbone and old heads frozen,
 *     before the joint training; 0 (the LwF paper's optional warm-up, Sec. 3, is off by default)
 */
@RecordBuilder
public record LwfParams(
        @Default("" + Distillation.DEFAULT_TEMPERATURE) double temperature,
        @Default("0.25") double weight,
        @Default("0") int warmupEpochs)
        implements LwfParamsBuilder.With {
    /** Checks the values. */
    public LwfParams {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new CilException("lwf: temperature must be positive and finite, got " + temperature);
        }
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new CilException("lwf: weight must be >= 0 and finite, got " + weight);
        }
        if (warmupEpochs < 0) {
            throw new CilException("lwf: warmupEpochs must be >= 0, got " + warmupEpochs);
        }
    }
}
