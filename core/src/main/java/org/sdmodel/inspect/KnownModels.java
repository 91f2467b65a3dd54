package org.sdmodel.inspect;

import static org.sdmodel.inspect.Architecture.SD1;
import static org.sdmodel.inspect.Architecture.SD1_INPAINTING;
import static org.sdmodel.inspect.Architecture.SD2;
import static org.sdmodel.inspect.Architecture.SDXL;
import static org.sdmodel.inspect.Architecture.SDXL_REFINER;
import static org.sdmodel.inspect.PredictionType.EPS;
import static org.sdmodel.inspect.PredictionType.V;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The official Stable Diffusion releases sdmodel names by sha256. Each value comes from a public
 * source named beside it; none was computed here (the files are gigabytes, none is on this
 * machine). The prediction type and resolution are those of the release's inference config
 * ({@code v2-inference-v.yaml} for the 768-pixel SD 2.x models, eps everywhere else).
 */
public final class KnownModels {
    private KnownModels() {
    }

    private static final List<KnownModel> ALL = List.of(
            // deforum-art/deforum-stable-diffusion, helpers/model_load.py (model_map, with download URLs)
            new KnownModel("sd-v1-4.ckpt", "fe4efff1e174c627256e44ec2991ba279b3816e364b49f9be2abc0b3ff3f8556",
                    "Stable Diffusion 1.4", SD1, EPS, 512),
            new KnownModel("sd-v1-4-full-ema.ckpt", "14749efc0ae8ef0329391ad4436feb781b402f4fece4883c7ad8d10556d8a36a",
                    "Stable Diffusion 1.4 (with EMA)", SD1, EPS, 512),
            new KnownModel("v1-5-pruned-emaonly.ckpt", "cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516",
                    "Stable Diffusion 1.5 (EMA only)", SD1, EPS, 512),
            new KnownModel("v1-5-pruned.ckpt", "e1441589a6f3c5a53f5f54d0975a18a7feb7cdf0b0dee276dfc3331ae376a053",
                    "Stable Diffusion 1.5", SD1, EPS, 512),
            // Amorano/prompt-metadata-checker, src/vendor/postie/modelHashes.js lists both as
            // "stable-diffusion 1.5", beside the two .ckpt files above; they are the safetensors
            // conversions published with them (emaonly first, as the .ckpt list orders them).
            new KnownModel("v1-5-pruned-emaonly.safetensors", "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa",
                    "Stable Diffusion 1.5 (EMA only)", SD1, EPS, 512),
            new KnownModel("v1-5-pruned.safetensors", "1a189f0be69d6106a48548e7626207dddd7042a418dbf372cefd05e0cdba61b6",
                    "Stable Diffusion 1.5", SD1, EPS, 512),
            // AbdBarho/stable-diffusion-webui-docker, services/download/checksums.sha256
            new KnownModel("sd-v1-5-inpainting.ckpt", "c6bbc15e3224e6973459ba78de4998b80b50112b0ae5b5c67113d56b4e366b19",
                    "Stable Diffusion 1.5 inpainting", SD1_INPAINTING, EPS, 512),
            // deforum-art/deforum-stable-diffusion, helpers/model_load.py
            new KnownModel("512-base-ema.ckpt", "d635794c1fedfdfa261e065370bea59c651fc9bfa65dc6d67ad29e11869a1824",
                    "Stable Diffusion 2.0 base (512)", SD2, EPS, 512),
            new KnownModel("768-v-ema.ckpt", "bfcaf0755797b0c30eb00a3787e8b423eb1f5decd8de76c4d824ac2dd27e139f",
                    "Stable Diffusion 2.0 (768, v)", SD2, V, 768),
            new KnownModel("v2-1_512-ema-pruned.ckpt", "88ecb782561455673c4b78d05093494b9c539fc6bfc08f3a9a4a0dd7b0b10f36",
                    "Stable Diffusion 2.1 base (512)", SD2, EPS, 512),
            new KnownModel("v2-1_768-ema-pruned.ckpt", "ad2a33c361c1f593c4a1fb32ea81afce2b5bb7d1983c6b94793a26a3b54b08a0",
                    "Stable Diffusion 2.1 (768, v)", SD2, V, 768),
            // mcmonkeyprojects/SwarmUI, src/Text2Image/CommonModels.cs (RegisterCoreSet)
            new KnownModel("v2-1_768-ema-pruned.safetensors", "dcd690123cfc64383981a31d955694f6acf2072a80537fdb612c8e58ec87a8ac",
                    "Stable Diffusion 2.1 (768, v)", SD2, V, 768),
            new KnownModel("sd_xl_base_1.0.safetensors", "31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6120b893f7e5b",
                    "Stable Diffusion XL 1.0 base", SDXL, EPS, 1024),
            new KnownModel("sd_xl_refiner_1.0.safetensors", "7440042bbdc8a24813002c09b6b69b64dc90fded4472613437b7f55f9b7d9c5f",
                    "Stable Diffusion XL 1.0 refiner", SDXL_REFINER, EPS, 1024));

    private static final Map<String, KnownModel> BY_SHA256 = index();

    private static Map<String, KnownModel> index() {
        Map<String, KnownModel> map = new LinkedHashMap<>();
        for (KnownModel m : ALL) {
            if (map.put(m.sha256(), m) != null) {
                throw new ExceptionInInitializerError("two known models share the sha256 " + m.sha256());
            }
        }
        return map;
    }

    /** {@return every known file, SD 1.4 first} */
    public static List<KnownModel> all() {
        return ALL;
    }

    /**
     * {@return the known file released under this name ({@code 768-v-ema.ckpt}), if any}
     *
     * @param fileName a file name
     */
    public static Optional<KnownModel> byFileName(String fileName) {
        for (KnownModel m : ALL) {
            if (m.fileName().equals(fileName)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /**
     * {@return the known file with this sha256 (hex, either case), if any}
     *
     * @param sha256 a sha256, hex
     */
    public static Optional<KnownModel> bySha256(String sha256) {
        if (sha256 == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(BY_SHA256.get(sha256.toLowerCase(Locale.ROOT)));
    }
}
