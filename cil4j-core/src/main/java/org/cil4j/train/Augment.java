package org.cil4j.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.soabase.recordbuilder.core.RecordBuilder;
import org.cil4j.CilException;

/**
 * Training-time augmentation: random crop after zero padding, and horizontal flip with
 * probability 0.5 (the CIFAR recipe of iCaRL and LUCIR). Normalization is applied always.
 *
 * @param crop random crop with padding
 * @param pad padding in pixels before the crop (4 in the papers)
 * @param flip random horizontal flip
 */
@RecordBuilder
public record Augment(boolean crop, int pad, boolean flip) implements AugmentBuilder.With {
    /** No augmentation (Fashion-MNIST and MNIST protocols). */
    public static final Augment NONE = new Augment(false, 0, false);

    /** The CIFAR recipe: 4-pixel padding, random crop, horizontal flip. */
    public static final Augment CIFAR = new Augment(true, 4, true);

    /** Reads the record with defaults for missing keys. */
    @JsonCreator
    public static Augment of(
            @JsonProperty("crop") Boolean crop, @JsonProperty("pad") Integer pad, @JsonProperty("flip") Boolean flip) {
        return new Augment(crop != null && crop, pad == null ? 4 : pad, flip != null && flip);
    }

    /** Checks the values. */
    public Augment {
        if (pad < 0 || pad > 64) {
            throw new CilException("train.augment.pad must be in [0, 64], got " + pad);
        }
    }
}
