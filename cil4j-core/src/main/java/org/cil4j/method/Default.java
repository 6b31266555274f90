package org.cil4j.method;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The value a method's parameter takes when the config leaves it out, stated once, on the
 * parameter record's component: JSON ({@code "20"}, {@code "0.5"}, {@code "true"}, {@code
 * "[5, 7]"}), or the text itself for a {@code String} component ({@code "herding"}). A component
 * without one is resolved by the record's constructor from the others when it is absent (its type
 * then holds null: LUCIR's {@code finetuneMilestones} follow {@code finetuneEpochs}, DR's {@code
 * hardLabels} its {@code distillation}); a primitive component must have one ({@code
 * MethodParamsTest} checks every registered method). {@link org.cil4j.experiment.Methods#bind}
 * applies the defaults; the record it builds, every default resolved, is what a run's
 * results.json records as {@code methodParams}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Default {
    /** @return the default, as JSON, or as text for a String parameter */
    String value();
}
