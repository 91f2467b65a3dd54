package org.sdmodel.inspect;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.sdmodel.Tensor;

/**
 * Tells what kind of Stable Diffusion file a state dict is from its key names and tensor shapes
 * alone (no tensor data is read). The rules follow the key layouts of the reference
 * implementations (CompVis/Stability {@code ldm} and {@code sgm} checkpoints, kohya's and
 * diffusers' LoRA files, the web UI's embeddings), as the web UI's Model Toolkit extension
 * recognises them:
 *
 * <ol>
 *   <li>LoRA: kohya keys ({@code lora_unet_*}, {@code lora_te_*}, {@code lora_te1_*},
 *       {@code lora_te2_*}), diffusers keys ({@code *.lora.up.*}, {@code *_lora.down.*}), PEFT keys
 *       ({@code *.lora_A.*}, {@code *.lora_B.*}) or cloneofsimo's ({@code unet:0:up}).
 *   <li>Embedding: {@code string_to_param.*} (the web UI's {@code .pt}), {@code emb_params}, or
 *       {@code clip_l} with {@code clip_g} (SDXL).
 *   <li>SDXL: {@code conditioner.embedders.1.model.*} (OpenCLIP ViT-bigG) beside
 *       {@code conditioner.embedders.0.transformer.*} (CLIP ViT-L); the refiner has
 *       {@code conditioner.embedders.0.model.*} (ViT-bigG, width 1280) and no CLIP ViT-L.
 *   <li>SD 2.x: an OpenCLIP text encoder {@code cond_stage_model.model.*} (ViT-H, width 1024);
 *       {@code depth_model.*} makes it depth-to-image, 9 UNet input channels inpainting.
 *   <li>SD 1.x: a CLIP text encoder {@code cond_stage_model.transformer.*} (ViT-L, width 768); 9
 *       UNet input channels make it inpainting, 8 InstructPix2Pix.
 *   <li>A UNet without a text encoder: the width its cross-attention expects (768, 1024, 2048,
 *       1280) names the family.
 *   <li>VAE: an AutoencoderKL's {@code encoder.*} and {@code decoder.*} (or only
 *       {@code first_stage_model.*}) with no UNet.
 * </ol>
 *
 * The UNet's input channels are read from {@code model.diffusion_model.input_blocks.0.0.weight},
 * whose shape is {@code [out, in, 3, 3]}.
 */
public final class ArchitectureDetector {
    static final String UNET = "model.diffusion_model.";
    /** The UNet's first convolution: its second dimension is the number of input channels. */
    public static final String UNET_INPUT_CONV = UNET + "input_blocks.0.0.weight";
    static final String SDXL_LABEL_EMBEDDING = UNET + "label_emb.0.0.weight";

    static final String CLIP = "cond_stage_model.transformer.";
    static final String CLIP_FINAL_NORM = CLIP + "text_model.final_layer_norm.weight";
    /** Older checkpoints (and some merges) drop {@code text_model.}: {@code transformers} before 4.21. */
    static final String CLIP_FINAL_NORM_OLD = CLIP + "final_layer_norm.weight";
    static final String OPEN_CLIP = "cond_stage_model.model.";
    static final String OPEN_CLIP_FINAL_NORM = OPEN_CLIP + "ln_final.weight";
    static final String SDXL_CONDITIONER = "conditioner.embedders.";
    static final String SDXL_CLIP = SDXL_CONDITIONER + "0.transformer.";
    static final String SDXL_CLIP_FINAL_NORM = SDXL_CLIP + "text_model.final_layer_norm.weight";
    static final String SDXL_BIG_G = SDXL_CONDITIONER + "1.model.";
    static final String SDXL_BIG_G_FINAL_NORM = SDXL_BIG_G + "ln_final.weight";
    static final String REFINER_BIG_G = SDXL_CONDITIONER + "0.model.";
    static final String REFINER_BIG_G_FINAL_NORM = REFINER_BIG_G + "ln_final.weight";
    static final String DEPTH = "depth_model.";
    static final String FIRST_STAGE = "first_stage_model.";

    /** Text widths of the released models. */
    static final int CLIP_L_WIDTH = 768;
    static final int OPEN_CLIP_H_WIDTH = 1024;
    static final int OPEN_CLIP_BIG_G_WIDTH = 1280;
    static final int SDXL_CONTEXT_WIDTH = 2048;

    private static final Pattern CLONEOFSIMO_LORA = Pattern.compile("(unet|text_encoder)(_\\d+)?:\\d+:(up|down)");

    private ArchitectureDetector() {
    }

    /**
     * Decides what {@code tensors} (a state dict, by key) is.
     *
     * @param tensors a state dict, by key
     * @return the architecture and the keys that show it
     */
    public static ArchitectureVerdict detect(Map<String, ? extends Tensor> tensors) {
        Keys keys = new Keys(tensors);
        ArchitectureVerdict v = lora(keys);
        if (v == null) {
            v = embedding(keys);
        }
        if (v == null) {
            v = checkpoint(keys);
        }
        if (v == null) {
            v = vae(keys);
        }
        if (v == null) {
            v = new ArchitectureVerdict(Architecture.UNKNOWN, List.of(), keys.tensors.isEmpty()
                    ? "the state dict holds no tensors"
                    : "no UNet, text encoder, VAE, LoRA or embedding keys that sdmodel knows");
        }
        return v;
    }

    private static ArchitectureVerdict lora(Keys keys) {
        String kohyaUnet = keys.first(k -> k.startsWith("lora_unet_"));
        String kohyaText = keys.first(k -> k.startsWith("lora_te_") || k.startsWith("lora_te1_") || k.startsWith("lora_te2_"));
        String diffusers = keys.first(k -> k.contains(".lora.up.") || k.contains(".lora.down.")
                || k.contains("_lora.up.") || k.contains("_lora.down."));
        String peft = keys.first(k -> k.contains(".lora_A.") || k.contains(".lora_B."));
        String cloneofsimo = keys.first(k -> CLONEOFSIMO_LORA.matcher(k).matches());
        List<String> deciding = new ArrayList<>();
        String style;
        if (kohyaUnet != null || kohyaText != null) {
            addIfPresent(deciding, kohyaUnet);
            addIfPresent(deciding, kohyaText);
            style = "kohya";
        } else if (diffusers != null) {
            deciding.add(diffusers);
            style = "diffusers";
        } else if (peft != null) {
            deciding.add(peft);
            style = "PEFT";
        } else if (cloneofsimo != null) {
            deciding.add(cloneofsimo);
            style = "cloneofsimo";
        } else {
            return null;
        }
        String algorithm = keys.first(k -> k.contains(".lokr_")) != null ? "LyCORIS LoKr"
                : keys.first(k -> k.contains(".hada_")) != null ? "LyCORIS LoHa" : "LoRA";
        return new ArchitectureVerdict(Architecture.LORA, deciding, style + "-style " + algorithm + " keys ("
                + String.join(", ", deciding) + ")");
    }

    private static ArchitectureVerdict embedding(Keys keys) {
        String webui = keys.first(k -> k.startsWith("string_to_param."));
        if (webui != null) {
            return new ArchitectureVerdict(Architecture.EMBEDDING, List.of(webui),
                    "a web UI textual-inversion embedding: " + vectors(keys, webui));
        }
        if (keys.has("emb_params")) {
            return new ArchitectureVerdict(Architecture.EMBEDDING, List.of("emb_params"),
                    "a textual-inversion embedding: " + vectors(keys, "emb_params"));
        }
        if (keys.has("clip_l") && keys.has("clip_g")) {
            return new ArchitectureVerdict(Architecture.EMBEDDING, List.of("clip_g", "clip_l"),
                    "an SDXL textual-inversion embedding: clip_l " + vectors(keys, "clip_l") + ", clip_g "
                            + vectors(keys, "clip_g"));
        }
        return null;
    }

    /** "2 vectors of width 768 (SD 1.x)". */
    private static String vectors(Keys keys, String key) {
        long[] shape = keys.shape(key);
        if (shape.length != 2) {
            return "shape " + java.util.Arrays.toString(shape);
        }
        String base = shape[1] == CLIP_L_WIDTH ? " (SD 1.x)" : shape[1] == OPEN_CLIP_H_WIDTH ? " (SD 2.x)"
                : shape[1] == OPEN_CLIP_BIG_G_WIDTH ? " (SDXL ViT-bigG)" : "";
        return shape[0] + (shape[0] == 1 ? " vector" : " vectors") + " of width " + shape[1] + base;
    }

    private static ArchitectureVerdict checkpoint(Keys keys) {
        if (keys.hasPrefix(SDXL_CONDITIONER)) {
            return sdxl(keys);
        }
        if (keys.hasPrefix(OPEN_CLIP)) {
            String key = keys.has(OPEN_CLIP_FINAL_NORM) ? OPEN_CLIP_FINAL_NORM : keys.first(k -> k.startsWith(OPEN_CLIP));
            return sd2(keys, key, "an OpenCLIP text encoder (cond_stage_model.model, " + width(keys, key, OPEN_CLIP_H_WIDTH) + ")");
        }
        if (keys.hasPrefix(CLIP)) {
            String key = keys.has(CLIP_FINAL_NORM) ? CLIP_FINAL_NORM
                    : keys.has(CLIP_FINAL_NORM_OLD) ? CLIP_FINAL_NORM_OLD : keys.first(k -> k.startsWith(CLIP));
            return sd1(keys, key, "a CLIP text encoder (cond_stage_model.transformer, " + width(keys, key, CLIP_L_WIDTH) + ")");
        }
        if (!keys.hasPrefix(UNET)) {
            return null;
        }
        // A UNet alone: the width its cross-attention expects names the text encoder it was trained with.
        String attention = keys.first(k -> k.startsWith(UNET) && k.endsWith(".attn2.to_k.weight") && keys.shape(k).length == 2);
        if (attention == null) {
            if (keys.has(SDXL_LABEL_EMBEDDING)) {
                return new ArchitectureVerdict(Architecture.SDXL, List.of(SDXL_LABEL_EMBEDDING),
                        "a UNet with SDXL's size-conditioning embedding and no text encoder");
            }
            return new ArchitectureVerdict(Architecture.UNKNOWN, List.of(keys.first(k -> k.startsWith(UNET))),
                    "a UNet without text encoder or cross-attention weights: its version cannot be told");
        }
        long context = keys.shape(attention)[1];
        String why = "a UNet without text encoder whose cross-attention takes width " + context;
        if (context == CLIP_L_WIDTH) {
            return sd1(keys, attention, why + " (CLIP ViT-L, SD 1.x)");
        }
        if (context == OPEN_CLIP_H_WIDTH) {
            return sd2(keys, attention, why + " (OpenCLIP ViT-H, SD 2.x)");
        }
        if (context == SDXL_CONTEXT_WIDTH) {
            return new ArchitectureVerdict(Architecture.SDXL, List.of(attention), why + " (CLIP ViT-L + ViT-bigG, SDXL)");
        }
        if (context == OPEN_CLIP_BIG_G_WIDTH) {
            return new ArchitectureVerdict(Architecture.SDXL_REFINER, List.of(attention), why + " (ViT-bigG alone, SDXL refiner)");
        }
        return new ArchitectureVerdict(Architecture.UNKNOWN, List.of(attention), why + ", which no known architecture has");
    }

    private static ArchitectureVerdict sd1(Keys keys, String familyKey, String why) {
        List<String> deciding = new ArrayList<>(List.of(familyKey));
        int in = inputChannels(keys);
        Architecture a = in == 9 ? Architecture.SD1_INPAINTING : in == 8 ? Architecture.SD1_PIX2PIX : Architecture.SD1;
        return new ArchitectureVerdict(a, withInputConv(deciding, in), "SD 1.x: " + why + unetInput(in));
    }

    private static ArchitectureVerdict sd2(Keys keys, String familyKey, String why) {
        List<String> deciding = new ArrayList<>(List.of(familyKey));
        int in = inputChannels(keys);
        String depth = keys.first(k -> k.startsWith(DEPTH));
        if (depth != null) {
            deciding.add(depth);
            return new ArchitectureVerdict(Architecture.SD2_DEPTH, withInputConv(deciding, in),
                    "SD 2.x: " + why + ", a depth model (depth_model)" + unetInput(in));
        }
        Architecture a = in == 9 ? Architecture.SD2_INPAINTING : Architecture.SD2;
        return new ArchitectureVerdict(a, withInputConv(deciding, in), "SD 2.x: " + why + unetInput(in));
    }

    private static ArchitectureVerdict sdxl(Keys keys) {
        boolean clipL = keys.hasPrefix(SDXL_CLIP);
        boolean bigG = keys.hasPrefix(SDXL_BIG_G);
        boolean refinerBigG = keys.hasPrefix(REFINER_BIG_G);
        int in = inputChannels(keys);
        if (bigG) {
            String g = keys.has(SDXL_BIG_G_FINAL_NORM) ? SDXL_BIG_G_FINAL_NORM : keys.first(k -> k.startsWith(SDXL_BIG_G));
            List<String> deciding = new ArrayList<>(List.of(g));
            String why = "SDXL: an OpenCLIP ViT-bigG text encoder (conditioner.embedders.1.model, "
                    + width(keys, g, OPEN_CLIP_BIG_G_WIDTH) + ")";
            if (clipL) {
                String l = keys.has(SDXL_CLIP_FINAL_NORM) ? SDXL_CLIP_FINAL_NORM : keys.first(k -> k.startsWith(SDXL_CLIP));
                deciding.add(l);
                why += " beside a CLIP ViT-L (conditioner.embedders.0.transformer)";
            } else {
                why += " (its CLIP ViT-L, conditioner.embedders.0.transformer, is missing)";
            }
            return new ArchitectureVerdict(Architecture.SDXL, withInputConv(deciding, in), why + unetInput(in));
        }
        if (refinerBigG) {
            String g = keys.has(REFINER_BIG_G_FINAL_NORM) ? REFINER_BIG_G_FINAL_NORM : keys.first(k -> k.startsWith(REFINER_BIG_G));
            List<String> deciding = new ArrayList<>(List.of(g));
            return new ArchitectureVerdict(Architecture.SDXL_REFINER, withInputConv(deciding, in),
                    "SDXL refiner: an OpenCLIP ViT-bigG text encoder alone (conditioner.embedders.0.model, "
                            + width(keys, g, OPEN_CLIP_BIG_G_WIDTH) + "), no CLIP ViT-L" + unetInput(in));
        }
        String first = keys.first(k -> k.startsWith(SDXL_CONDITIONER));
        return new ArchitectureVerdict(Architecture.SDXL, List.of(first),
                "SDXL conditioner keys (conditioner.embedders) without the text encoders sdmodel knows");
    }

    private static ArchitectureVerdict vae(Keys keys) {
        if (keys.hasPrefix(UNET)) {
            return null;
        }
        if (keys.has("encoder.conv_in.weight") && keys.has("decoder.conv_out.weight")) {
            return new ArchitectureVerdict(Architecture.VAE, List.of("encoder.conv_in.weight", "decoder.conv_out.weight"),
                    "an AutoencoderKL's encoder and decoder (encoder.*, decoder.*) and no UNet");
        }
        if (keys.hasPrefix(FIRST_STAGE) && keys.all(k -> k.startsWith(FIRST_STAGE))) {
            String in = FIRST_STAGE + "encoder.conv_in.weight";
            String out = FIRST_STAGE + "decoder.conv_out.weight";
            List<String> deciding = keys.has(in) && keys.has(out) ? List.of(in, out)
                    : List.of(keys.first(k -> k.startsWith(FIRST_STAGE)));
            return new ArchitectureVerdict(Architecture.VAE, deciding,
                    "only a checkpoint's first stage (first_stage_model.*): a VAE");
        }
        return null;
    }

    /** The UNet's input channels, or -1 when its first convolution is absent or not 4-D. */
    static int inputChannels(Keys keys) {
        if (!keys.has(UNET_INPUT_CONV)) {
            return -1;
        }
        long[] shape = keys.shape(UNET_INPUT_CONV);
        return shape.length == 4 ? (int) shape[1] : -1;
    }

    private static List<String> withInputConv(List<String> deciding, int in) {
        if (in > 0) {
            deciding.add(UNET_INPUT_CONV);
        }
        return deciding;
    }

    private static String unetInput(int in) {
        if (in < 0) {
            return "; no UNet input convolution";
        }
        String what = in == 4 ? "" : in == 9 ? " (latent, mask and masked image: inpainting)"
                : in == 8 ? " (latent and input image: InstructPix2Pix)" : in == 5 ? " (latent and depth)" : "";
        return "; the UNet takes " + in + " input channels" + what;
    }

    /** "width 768", or "width 16, where the released model has 768". */
    private static String width(Keys keys, String key, int released) {
        long[] shape = keys.shape(key);
        if (shape.length != 1) {
            return "shape " + java.util.Arrays.toString(shape);
        }
        return shape[0] == released ? "width " + shape[0] : "width " + shape[0] + ", where the released model has " + released;
    }

    private static void addIfPresent(List<String> list, String key) {
        if (key != null) {
            list.add(key);
        }
    }

    /** The state dict's keys in file order, with the queries the rules need. */
    static final class Keys {
        final Map<String, ? extends Tensor> tensors;

        Keys(Map<String, ? extends Tensor> tensors) {
            this.tensors = tensors;
        }

        boolean has(String key) {
            return tensors.containsKey(key);
        }

        boolean hasPrefix(String prefix) {
            return first(k -> k.startsWith(prefix)) != null;
        }

        boolean all(Predicate<String> p) {
            return tensors.keySet().stream().allMatch(p);
        }

        /** The first key in file order that matches, or null. */
        String first(Predicate<String> p) {
            for (String k : tensors.keySet()) {
                if (p.test(k)) {
                    return k;
                }
            }
            return null;
        }

        long[] shape(String key) {
            return tensors.get(key).shape();
        }
    }
}
