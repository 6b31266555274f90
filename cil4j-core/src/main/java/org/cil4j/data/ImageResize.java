package org.cil4j.data;

/**
 * Resizes channel-first byte images. Shrinking averages the source area each target pixel
 * covers (an anti-aliased box filter, exact for integer factors such as 64 to 32); growing
 * interpolates bilinearly with half-pixel centers.
 */
public final class ImageResize {
    private ImageResize() {}

    /**
     * Resizes one image.
     *
     * @param src source pixels
     * @param srcOff offset of the image in {@code src}
     * @param channels number of channels
     * @param h source height
     * @param w source width
     * @param dst destination array
     * @param dstOff offset of the image in {@code dst}
     * @param oh target height
     * @param ow target width
     */
    public static void resizeChw(
            byte[] src, int srcOff, int channels, int h, int w, byte[] dst, int dstOff, int oh, int ow) {
        for (int c = 0; c < channels; c++) {
            int sp = srcOff + c * h * w;
            int dp = dstOff + c * oh * ow;
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    double v = (oh <= h && ow <= w)
                            ? area(src, sp, h, w, y, x, oh, ow)
                            : bilinear(src, sp, h, w, y, x, oh, ow);
                    dst[dp + y * ow + x] = (byte) Math.max(0, Math.min(255, Math.round(v)));
                }
            }
        }
    }

    private static double area(byte[] s, int sp, int h, int w, int y, int x, int oh, int ow) {
        double y0 = (double) y * h / oh;
        double y1 = (double) (y + 1) * h / oh;
        double x0 = (double) x * w / ow;
        double x1 = (double) (x + 1) * w / ow;
        double sum = 0;
        double weight = 0;
        for (int sy = (int) Math.floor(y0); sy < Math.min(h, (int) Math.ceil(y1)); sy++) {
            double wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
            for (int sx = (int) Math.floor(x0); sx < Math.min(w, (int) Math.ceil(x1)); sx++) {
                double wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
                sum += wy * wx * (s[sp + sy * w + sx] & 0xff);
                weight += wy * wx;
            }
        }
        return sum / weight;
    }

    private static double bilinear(byte[] s, int sp, int h, int w, int y, int x, int oh, int ow) {
        double fy = Math.max(0, Math.min(h - 1, (y + 0.5) * h / oh - 0.5));
        double fx = Math.max(0, Math.min(w - 1, (x + 0.5) * w / ow - 0.5));
        int y0 = (int) Math.floor(fy);
        int x0 = (int) Math.floor(fx);
        int y1 = Math.min(h - 1, y0 + 1);
        int x1 = Math.min(w - 1, x0 + 1);
        double dy = fy - y0;
        double dx = fx - x0;
        double a = s[sp + y0 * w + x0] & 0xff;
        double b = s[sp + y0 * w + x1] & 0xff;
        double c = s[sp + y1 * w + x0] & 0xff;
        double d = s[sp + y1 * w + x1] & 0xff;
        return (a * (1 - dx) + b * dx) * (1 - dy) + (c * (1 - dx) + d * dx) * dy;
    }
}
