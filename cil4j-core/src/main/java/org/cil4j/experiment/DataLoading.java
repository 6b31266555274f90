package org.cil4j.experiment;

import java.nio.file.Path;
import org.cil4j.data.Datasets;
import org.cil4j.data.DecodedCache;
import org.cil4j.data.ImageFolderLoader;

/** Loads the data a config names, through the dataset registry. */
final class DataLoading {
    private DataLoading() {}

    static Datasets.TrainTest load(DataConfig cfg) {
        int size = cfg.imageSize() > 0 ? cfg.imageSize() : Datasets.DEFAULT_FOLDER_SIZE;
        ImageFolderLoader folders = new ImageFolderLoader(size, size).withCache(DecodedCache.atDefaultLocation());
        return Datasets.load(cfg.dataset(), cfg.dir() == null ? null : Path.of(cfg.dir()), folders);
    }
}
