package org.cil4j.experiment;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.cil4j.CilException;

/**
 * Where the images come from and how they are shaped for the network.
 *
 * @param dataset a name known to {@code Datasets} (fashion-mnist, mnist, cifar10, cifar100,
 *     imagefolder, tiny-imagenet-100)
 * @param dir data folder, or null to look in the usual places
 * @param imageSize side the images are resized to (0: keep the dataset's size)
 * @param rgb convert grayscale images to three channels
 */
public record DataConfig(String dataset, String dir, int imageSize, boolean rgb) {
    /** Reads the record with defaults. */
    @JsonCreator
    public static DataConfig of(
            @JsonProperty("dataset") String dataset,
            @JsonProperty("dir") String dir,
            @JsonProperty("imageSize") Integer imageSize,
            @JsonProperty("rgb") Boolean rgb) {
        return new DataConfig(dataset, dir, imageSize == null ? 0 : imageSize, rgb != null && rgb);
    }

    /** Checks the values. */
    public DataConfig {
        if (dataset == null || dataset.isBlank()) {
            throw new CilException("data.dataset is required (see 'cil datasets')");
        }
        if (imageSize < 0 || imageSize > 1024) {
            throw new CilException("data.imageSize must be in [0, 1024], got " + imageSize);
        }
    }
}
