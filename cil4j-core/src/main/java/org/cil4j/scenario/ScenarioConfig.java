package org.cil4j.scenario;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.List;
import org.cil4j.CilException;

/**
 * How classes arrive: the class order, the size of the base phase and of each increment, and
 * the setting.
 *
 * @param setting "multi-class" (one unified classifier, no oracle at test time) or
 *     "multi-task" (a head per task, the oracle picks it)
 * @param classes how many classes of the order are used (0: all)
 * @param base classes of the first phase (0: same as the increment, "B0")
 * @param increment classes per later phase
 * @param phases explicit classes per phase (overrides base and increment when not empty)
 * @param order explicit class order, dataset labels (overrides orderSeed when not empty)
 * @param orderSeed seed of the numpy-compatible shuffled order (1993 in iCaRL/LUCIR)
 * @param trainPerClass use at most this many training images per class (0: all); for quick
 *     runs and tests
 * @param testPerClass use at most this many test images per class (0: all)
 */
@RecordBuilder
public record ScenarioConfig(
        String setting,
        int classes,
        int base,
        int increment,
        List<Integer> phases,
        List<Integer> order,
        long orderSeed,
        int trainPerClass,
        int testPerClass)
        implements ScenarioConfigBuilder.With {

    /** Reads the record, filling defaults for missing keys. */
    @JsonCreator
    public static ScenarioConfig of(
            @JsonProperty("setting") String setting,
            @JsonProperty("classes") Integer classes,
            @JsonProperty("base") Integer base,
            @JsonProperty("increment") Integer increment,
            @JsonProperty("phases") List<Integer> phases,
            @JsonProperty("order") List<Integer> order,
            @JsonProperty("orderSeed") Long orderSeed,
            @JsonProperty("trainPerClass") Integer trainPerClass,
            @JsonProperty("testPerClass") Integer testPerClass) {
        return new ScenarioConfig(
                setting == null ? "multi-class" : setting,
                classes == null ? 0 : classes,
                base == null ? 0 : base,
                increment == null ? 10 : increment,
                phases == null ? List.of() : phases,
                order == null ? List.of() : order,
                orderSeed == null ? 1993L : orderSeed,
                trainPerClass == null ? 0 : trainPerClass,
                testPerClass == null ? 0 : testPerClass);
    }

    /** Checks what can be checked without the dataset. */
    public ScenarioConfig {
        if (!setting.equals("multi-class") && !setting.equals("multi-task")) {
            throw new CilException("scenario.setting must be multi-class or multi-task, not '" + setting + "'");
        }
        if (classes < 0) {
            throw new CilException("scenario.classes must be >= 0 (0 = all), got " + classes);
        }
        if (base < 0) {
            throw new CilException("scenario.base must be >= 0, got " + base);
        }
        if (increment < 1 && (phases == null || phases.isEmpty())) {
            throw new CilException("scenario.increment must be at least 1, got " + increment);
        }
        phases = List.copyOf(phases);
        order = List.copyOf(order);
        for (int p : phases) {
            if (p < 1) {
                throw new CilException("scenario.phases entries must be at least 1, got " + phases);
            }
        }
        if (trainPerClass < 0 || testPerClass < 0) {
            throw new CilException("scenario.trainPerClass and testPerClass must be >= 0");
        }
    }

    /** @return true in the multi-task setting */
    public boolean multiTask() {
        return setting.equals("multi-task");
    }
}
