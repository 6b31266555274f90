package org.cil4j.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.List;
import org.cil4j.CilException;

/**
 * Which network to build.
 *
 * @param arch "resnet32" (the CIFAR ResNet of iCaRL/LUCIR; also resnet20, resnet44, resnet56),
 *     "resnet18", or "small-cnn" (the fmnist-5x2 network)
 * @param lastRelu keep the backbone's last ReLU; LUCIR removes it (Hou et al. 2019, Sec. 3.2)
 * @param classifier "linear" (one fully connected head per phase), "cosine" (LUCIR's cosine
 *     normalization with a learnable scale) or "lsc" (PODNet's local similarity classifier);
 *     {@link Classifier}
 */
@RecordBuilder
public record ModelConfig(String arch, boolean lastRelu, String classifier) implements ModelConfigBuilder.With {
    /** Architectures this build knows. */
    public static final List<String> ARCHS =
            List.of("resnet20", "resnet32", "resnet44", "resnet56", "resnet18", "small-cnn");

    /** Validates the fields. */
    @JsonCreator
    public ModelConfig(
            @JsonProperty("arch") String arch,
            @JsonProperty("lastRelu") Boolean lastRelu,
            @JsonProperty("classifier") String classifier) {
        this(
                arch == null ? "resnet32" : arch,
                lastRelu == null || lastRelu,
                classifier == null ? "linear" : classifier);
    }

    /** Canonical constructor: checks the values. */
    public ModelConfig {
        if (!ARCHS.contains(arch)) {
            throw new CilException("model.arch must be one of " + ARCHS + ", not '" + arch + "'");
        }
        if (!Classifier.NAMES.contains(classifier)) {
            throw new CilException(
                    "model.classifier must be one of " + Classifier.NAMES + ", not '" + classifier + "'");
        }
    }

    /** @return true for the cosine classifier (the network asks its {@link Classifier}, not this) */
    public boolean cosine() {
        return classifier.equals("cosine");
    }
}
