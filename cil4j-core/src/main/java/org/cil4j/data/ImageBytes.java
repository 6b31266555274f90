package org.cil4j.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.cil4j.CilException;

/**
 * Decodes images held in memory (an upload, a request body) into the channel-first bytes a
 * dataset holds, with the same conversions as the folder loader, and with a cap on the image's
 * dimensions checked from its header before any pixel is allocated (a small file that declares
 * a huge image is refused, not decoded).
 */
public final class ImageBytes {
    private ImageBytes() {}

    /**
     * @param bytes an encoded image (JPEG, PNG, BMP, GIF: what ImageIO reads)
     * @param what how messages name the image, e.g. "sample 3"
     * @param channels 1 (grayscale, luma of RGB) or 3 (RGB)
     * @param height output height
     * @param width output width
     * @param maxPixels largest width times height accepted
     * @return {@code channels * height * width} bytes, channel-first
     * @throws CilException naming {@code what} when the bytes are not a readable image, are cut
     *     short, or declare more than {@code maxPixels} pixels
     */
    public static byte[] decode(byte[] bytes, String what, int channels, int height, int width, long maxPixels) {
        BufferedImage img;
        // in memory: ImageIO.createImageInputStream would cache an InputStream in a temporary file
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            img = read(in, what, maxPixels);
        } catch (IOException | RuntimeException e) {
            if (e instanceof CilException c) {
                throw c;
            }
            throw new CilException("cannot decode " + what + ": " + e.getMessage(), e);
        }
        if (img == null) {
            throw new CilException("cannot decode " + what + ": not a JPEG, PNG or other format ImageIO reads");
        }
        int h = img.getHeight();
        int w = img.getWidth();
        byte[] rgb = ImageFolderLoader.toRgbChw(img);
        byte[] src = channels == 3 ? rgb : luma(rgb, h * w);
        if (h == height && w == width) {
            return src;
        }
        byte[] out = new byte[channels * height * width];
        ImageResize.resizeChw(src, 0, channels, h, w, out, 0, height, width);
        return out;
    }

    /**
     * The inverse of {@link #decode}: one image of a dataset as a picture (grayscale or RGB).
     *
     * @param d the dataset
     * @param i the image's index
     * @return the image
     */
    public static BufferedImage image(ImageDataset d, int i) {
        int h = d.height();
        int w = d.width();
        int c = d.channels();
        int plane = h * w;
        byte[] px = d.pixels();
        int off = i * c * plane;
        BufferedImage img = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int k = y * w + x;
                if (c == 1) {
                    img.getRaster().setSample(x, y, 0, px[off + k] & 0xff);
                } else {
                    img.setRGB(
                            x,
                            y,
                            (px[off + k] & 0xff) << 16
                                    | (px[off + plane + k] & 0xff) << 8
                                    | (px[off + 2 * plane + k] & 0xff));
                }
            }
        }
        return img;
    }

    /**
     * @param d the dataset
     * @param i the image's index
     * @return the image encoded as PNG
     */
    public static byte[] png(ImageDataset d, int i) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        try {
            ImageIO.write(image(d, i), "png", b);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    private static byte[] luma(byte[] rgb, int plane) {
        byte[] g = new byte[plane];
        for (int i = 0; i < plane; i++) {
            double v = 0.299 * (rgb[i] & 0xff) + 0.587 * (rgb[plane + i] & 0xff) + 0.114 * (rgb[2 * plane + i] & 0xff);
            g[i] = (byte) Math.min(255, Math.round(v));
        }
        return g;
    }

    /**
     * Decodes an image as {@link ImageIO#read} does, but fails where the decoder warns that the
     * input is cut short rather than returning what it could decode, and refuses an image whose
     * header declares more than {@code maxPixels} pixels before decoding it.
     *
     * @param in the encoded image (null: no stream could be made)
     * @param what how messages name the image
     * @param maxPixels largest width times height accepted
     * @return the image, or null when no reader recognizes the input
     * @throws IOException when the input cannot be read or decoded
     */
    static BufferedImage read(ImageInputStream in, String what, long maxPixels) throws IOException {
        Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
        if (readers == null || !readers.hasNext()) {
            return null;
        }
        ImageReader reader = readers.next();
        List<String> truncated = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> {
            String w = warning.toLowerCase(Locale.ROOT);
            if (w.contains("truncated") || w.contains("premature end")) {
                truncated.add(warning);
            }
        });
        try {
            reader.setInput(in, true, true);
            long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
            if (pixels > maxPixels) {
                throw new CilException("cannot decode " + what + ": it declares " + reader.getWidth(0) + "x"
                        + reader.getHeight(0) + " pixels, more than the " + maxPixels + " accepted");
            }
            BufferedImage img = reader.read(0, reader.getDefaultReadParam());
            if (!truncated.isEmpty()) {
                throw new CilException("cannot decode " + what + ": the file is truncated (" + truncated.get(0) + ")");
            }
            return img;
        } finally {
            reader.dispose();
        }
    }
}
