"""The Keras corpus: one spec per model.

A spec: name, group, description, seed, sources (any of keras2, keras3-h5,
keras3-keras), build(K, v) -> model (K is tf_keras or keras, v "k2"/"k3"),
optionally head (classifier layer whose kernel is rescaled), range ("pixel"
for 0..255 image inputs), vocab (int inputs in [1, vocab)), inputs(rng, batch)
(explicit input arrays), tolerance.

Sizes: each application family is built at its smallest accepted input and
with a small width (alpha / width coefficient / filter counts) and 3 classes,
keeping its block structure and layer names, so that every model stays well
under 2 MB (see ../../fixtures/corpus/README.md for the families skipped).
"""
import numpy as np

K2_ONLY = ["keras2"]
ALL3 = ["keras2", "keras3-h5", "keras3-keras"]
IMG = (32, 32, 3)


def _app(module_k2, module_k3):
    """The tf_keras / keras applications sub-module pair."""
    import importlib
    return (lambda v: importlib.import_module(
        ("tf_keras.src.applications." if v == "k2" else "keras.src.applications.")
        + (module_k2 if v == "k2" else module_k3)))


def mobilenet(K, v):
    return K.applications.MobileNet(alpha=0.25, input_shape=(48, 48, 3), weights=None, classes=3)


def mobilenet_v2(K, v):
    return K.applications.MobileNetV2(alpha=0.1, input_shape=(48, 48, 3), weights=None, classes=3)


def _rename_slashes(K, model):
    """MobileNetV3 names layers `Conv/BatchNorm`; the converter silently drops
    weights nested that way, so rebuild with `/` replaced by `_`."""
    cfg = model.get_config()
    text = __import__("json").dumps(cfg)
    for layer in model.layers:
        if "/" in layer.name:
            text = text.replace('"%s"' % layer.name, '"%s"' % layer.name.replace("/", "_"))
    cfg = __import__("json").loads(text)
    new = model.__class__.from_config(cfg)
    for old_l in model.layers:
        new.get_layer(old_l.name.replace("/", "_")).set_weights(old_l.get_weights())
    return new


def mobilenet_v3_small(K, v):
    m = K.applications.MobileNetV3Small(alpha=0.25, input_shape=(48, 48, 3), weights=None,
                                        classes=3)
    return _rename_slashes(K, m)


def mobilenet_v3_large(K, v):
    m = K.applications.MobileNetV3Large(alpha=0.25, input_shape=(48, 48, 3), weights=None,
                                        classes=3, minimalistic=True)
    return _rename_slashes(K, m)


_eff = _app("efficientnet", "efficientnet")
_eff2 = _app("efficientnet_v2", "efficientnet_v2")


def _efficientnet(w, d, name):
    def build(K, v):
        kw = {"model_name": name} if v == "k2" else {"name": name}
        return _eff(v).EfficientNet(w, d, 32, weights=None, input_shape=IMG, classes=3, **kw)
    return build


def efficientnet_v2_b0(K, v):
    kw = {"model_name": "efficientnetv2-b0"} if v == "k2" else {"name": "efficientnetv2-b0"}
    return _eff2(v).EfficientNetV2(0.125, 1.0, 32, weights=None, input_shape=IMG, classes=3,
                                   **kw)


_resnet = _app("resnet", "resnet")


def resnet50(K, v):
    r = _resnet(v)
    stack = r.stack1 if v == "k2" else r.stack_residual_blocks_v1

    def stack_fn(x):  # ResNet50's [3, 4, 6, 3] blocks at 1/16 of its width
        x = stack(x, 4, 3, stride1=1, name="conv2")
        x = stack(x, 8, 4, name="conv3")
        x = stack(x, 16, 6, name="conv4")
        return stack(x, 32, 3, name="conv5")
    kw = {"model_name": "resnet50"} if v == "k2" else {"name": "resnet50"}
    return r.ResNet(stack_fn, False, True, weights=None, input_shape=IMG, classes=3, **kw)


def resnet50_v2(K, v):
    r = _resnet(v)
    stack = r.stack2 if v == "k2" else r.stack_residual_blocks_v2

    def stack_fn(x):  # ResNet50V2's blocks at 1/16 of its width
        x = stack(x, 4, 3, name="conv2")
        x = stack(x, 8, 4, name="conv3")
        x = stack(x, 16, 6, name="conv4")
        return stack(x, 32, 3, stride1=1, name="conv5")
    kw = {"model_name": "resnet50v2"} if v == "k2" else {"name": "resnet50v2"}
    return r.ResNet(stack_fn, True, True, weights=None, input_shape=IMG, classes=3, **kw)


def densenet121(K, v):
    # DenseNet121's blocks are [6, 12, 24, 16] (growth rate 32, fixed in Keras).
    return _app("densenet", "densenet")(v).DenseNet([1, 2, 2, 1], weights=None,
                                                      input_shape=IMG, classes=3)


def nasnet_mobile(K, v):
    # NASNetMobile is penultimate_filters=1056, num_blocks=4, stem 32.
    return _app("nasnet", "nasnet")(v).NASNet(
        input_shape=IMG, penultimate_filters=96, num_blocks=1, stem_block_filters=8,
        skip_reduction=False, filter_multiplier=2, weights=None, classes=3, default_size=32)


def convnext_tiny(K, v):
    # ConvNeXtTiny is depths [3, 3, 9, 3], dims [96, 192, 384, 768].
    kw = {"model_name": "convnext_tiny"} if v == "k2" else {"name": "convnext_tiny"}
    return _app("convnext", "convnext")(v).ConvNeXt(
        [1, 1, 2, 1], [8, 16, 32, 64], default_size=32, weights=None, input_shape=IMG,
        classes=3, **kw)


def regnetx002(K, v):
    # RegNetX002 is depths [1, 1, 4, 7], widths [24, 56, 152, 368], group width 8.
    return _app("regnet", "regnet")(v).RegNet(
        [1, 1, 2, 2], [8, 16, 32, 48], 8, "X", 32, model_name="regnetx002", weights=None,
        input_shape=IMG, classes=3)


def vgg_style(K, v):
    """VGG16's layer pattern (block{n}_conv{m}, block{n}_pool, flatten, fc1, fc2,
    predictions) at 1/16 of its width and two blocks fewer."""
    L = K.layers
    x = inp = L.Input(IMG, name="input_1")
    for b, (n, f) in enumerate([(2, 4), (2, 8), (3, 16)], start=1):
        for c in range(1, n + 1):
            x = L.Conv2D(f, 3, padding="same", activation="relu",
                         name="block%d_conv%d" % (b, c))(x)
        x = L.MaxPooling2D(2, strides=2, name="block%d_pool" % b)(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(32, activation="relu", name="fc1")(x)
    x = L.Dense(32, activation="relu", name="fc2")(x)
    out = L.Dense(3, activation="softmax", name="predictions")(x)
    return K.Model(inp, out, name="vgg16_style")


def _conv_bn(K, x, filters, kh, kw, strides=1, padding="same", name=None):
    """InceptionV3's conv2d_bn: Conv2D (no bias) + BatchNormalization(scale=False) + ReLU."""
    L = K.layers
    x = L.Conv2D(filters, (kh, kw), strides=strides, padding=padding, use_bias=False,
                 name=name + "_conv")(x)
    x = L.BatchNormalization(axis=3, scale=False, name=name + "_bn")(x)
    return L.Activation("relu", name=name)(x)


def inception_style(K, v):
    """InceptionV3's module kinds (mixed0-style 1x1/5x5/3x3dbl/pool branches, a
    grid reduction, mixed4-style factorized 1x7/7x1 convs) at small width;
    keras.applications.InceptionV3 itself has no width parameter (21.8 M params)."""
    L = K.layers
    x = inp = L.Input((35, 35, 3), name="input_1")
    x = _conv_bn(K, x, 8, 3, 3, strides=2, padding="valid", name="stem1")
    x = _conv_bn(K, x, 8, 3, 3, padding="valid", name="stem2")
    b1 = _conv_bn(K, x, 8, 1, 1, name="mixed0_b1x1")
    b5 = _conv_bn(K, _conv_bn(K, x, 6, 1, 1, name="mixed0_b5x5_1"), 8, 5, 5, name="mixed0_b5x5_2")
    b3 = _conv_bn(K, x, 8, 1, 1, name="mixed0_b3dbl_1")
    b3 = _conv_bn(K, _conv_bn(K, b3, 12, 3, 3, name="mixed0_b3dbl_2"), 12, 3, 3,
                  name="mixed0_b3dbl_3")
    bp = L.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name="mixed0_pool")(x)
    bp = _conv_bn(K, bp, 4, 1, 1, name="mixed0_bpool")
    x = L.Concatenate(axis=3, name="mixed0")([b1, b5, b3, bp])
    r3 = _conv_bn(K, x, 16, 3, 3, strides=2, padding="valid", name="mixed3_b3x3")
    rp = L.MaxPooling2D((3, 3), strides=(2, 2), name="mixed3_pool")(x)
    x = L.Concatenate(axis=3, name="mixed3")([r3, rp])
    f1 = _conv_bn(K, x, 8, 1, 1, name="mixed4_b1x1")
    f7 = _conv_bn(K, x, 6, 1, 1, name="mixed4_b7x7_1")
    f7 = _conv_bn(K, f7, 6, 1, 7, name="mixed4_b7x7_2")
    f7 = _conv_bn(K, f7, 8, 7, 1, name="mixed4_b7x7_3")
    x = L.Concatenate(axis=3, name="mixed4")([f1, f7])
    x = L.GlobalAveragePooling2D(name="avg_pool")(x)
    out = L.Dense(3, activation="softmax", name="predictions")(x)
    return K.Model(inp, out, name="inception_v3_style")


def xception_style(K, v):
    """Xception's entry/middle flow blocks (SeparableConv2D + BatchNormalization,
    strided 1x1 conv shortcut, MaxPooling2D, residual Add) at small width;
    keras.applications.Xception itself has no width parameter (20.8 M params)."""
    L = K.layers
    x = inp = L.Input((32, 32, 3), name="input_1")
    x = L.Conv2D(8, 3, strides=2, use_bias=False, name="block1_conv1")(x)
    x = L.BatchNormalization(name="block1_conv1_bn")(x)
    x = L.Activation("relu", name="block1_conv1_act")(x)
    for b, f in ((2, 16), (3, 24)):
        res = L.Conv2D(f, 1, strides=2, padding="same", use_bias=False, name="conv2d_b%d" % b)(x)
        res = L.BatchNormalization(name="batch_normalization_b%d" % b)(res)
        if b > 2:
            x = L.Activation("relu", name="block%d_sepconv1_act" % b)(x)
        x = L.SeparableConv2D(f, 3, padding="same", use_bias=False,
                              name="block%d_sepconv1" % b)(x)
        x = L.BatchNormalization(name="block%d_sepconv1_bn" % b)(x)
        x = L.Activation("relu", name="block%d_sepconv2_act" % b)(x)
        x = L.SeparableConv2D(f, 3, padding="same", use_bias=False,
                              name="block%d_sepconv2" % b)(x)
        x = L.BatchNormalization(name="block%d_sepconv2_bn" % b)(x)
        x = L.MaxPooling2D(3, strides=2, padding="same", name="block%d_pool" % b)(x)
        x = L.Add(name="add_b%d" % b)([x, res])
    res = x
    for i in range(1, 4):
        x = L.Activation("relu", name="block5_sepconv%d_act" % i)(x)
        x = L.SeparableConv2D(24, 3, padding="same", use_bias=False,
                              name="block5_sepconv%d" % i)(x)
        x = L.BatchNormalization(name="block5_sepconv%d_bn" % i)(x)
    x = L.Add(name="add_b5")([x, res])
    x = L.GlobalAveragePooling2D(name="avg_pool")(x)
    out = L.Dense(3, activation="softmax", name="predictions")(x)
    return K.Model(inp, out, name="xception_style")


def _spec(name, group, build, desc, sources=ALL3, seed=None, **kw):
    d = {"name": name, "group": group, "build": build, "description": desc,
         "sources": sources, "seed": seed if seed is not None else 1000 + len(MODELS)}
    d.update(kw)
    return d


MODELS = []


def add(*a, **kw):
    MODELS.append(_spec(*a, **kw))


add("mobilenet", "apps", mobilenet,
    "keras.applications.MobileNet(alpha=0.25, input_shape=(48,48,3), weights=None, classes=3)",
    sources=["keras2", "keras3-h5"], head="conv_preds")
add("mobilenet_v2", "apps", mobilenet_v2,
    "keras.applications.MobileNetV2(alpha=0.1, input_shape=(48,48,3), weights=None, classes=3)",
    head="predictions")
add("mobilenet_v3_small", "apps", mobilenet_v3_small,
    "keras.applications.MobileNetV3Small(alpha=0.25, input_shape=(48,48,3), weights=None, "
    "classes=3), layer names with '/' replaced by '_'; input 0..255 (the model rescales)",
    sources=["keras2", "keras3-keras"], head="Logits", range="pixel")
add("mobilenet_v3_large", "apps", mobilenet_v3_large,
    "keras.applications.MobileNetV3Large(alpha=0.25, minimalistic=True, input_shape=(48,48,3), "
    "weights=None, classes=3), '/' in layer names replaced by '_'; input 0..255",
    sources=K2_ONLY, head="Logits", range="pixel")
add("efficientnet_b0", "apps", _efficientnet(0.125, 1.0, "efficientnetb0"),
    "EfficientNetB0 structure (depth_coefficient 1.0) at width_coefficient 0.125: "
    "applications.efficientnet.EfficientNet(0.125, 1.0, 32, input_shape=(32,32,3), classes=3); "
    "input 0..255", sources=["keras2", "keras3-h5"], head="predictions", range="pixel")
add("efficientnet_b1", "apps", _efficientnet(0.125, 1.1, "efficientnetb1"),
    "EfficientNetB1 structure (depth_coefficient 1.1) at width_coefficient 0.125; input 0..255",
    sources=K2_ONLY, head="predictions", range="pixel")
add("efficientnet_b2", "apps", _efficientnet(0.1375, 1.2, "efficientnetb2"),
    "EfficientNetB2 structure (width 1.1 x B1's, depth_coefficient 1.2) at width_coefficient "
    "0.1375; input 0..255",
    sources=K2_ONLY, head="predictions", range="pixel")
add("efficientnet_v2_b0", "apps", efficientnet_v2_b0,
    "EfficientNetV2B0 structure (depth 1.0) at width_coefficient 0.125, 32x32, classes=3; "
    "input 0..255", sources=["keras2", "keras3-keras"], head="predictions", range="pixel")
add("resnet50", "apps", resnet50,
    "ResNet50 structure (stack1 blocks [3,4,6,3], bottleneck, conv shortcut) at 1/16 width "
    "(filters 4/8/16/32), 32x32, classes=3", head="predictions")
add("resnet50_v2", "apps", resnet50_v2,
    "ResNet50V2 structure (pre-activation stack2 blocks [3,4,6,3]) at 1/16 width, 32x32, "
    "classes=3", sources=["keras2", "keras3-keras"], head="predictions")
add("densenet121", "apps", densenet121,
    "DenseNet structure (growth rate 32, bottleneck 128, transitions 0.5) with blocks "
    "[1,2,2,1] instead of DenseNet121's [6,12,24,16], 32x32, classes=3",
    sources=["keras2", "keras3-h5"], head="predictions")
add("nasnet_mobile", "apps", nasnet_mobile,
    "NASNet-A (NASNetMobile's cells, skip_reduction=False) with penultimate_filters=96, "
    "num_blocks=1, stem_block_filters=8, 32x32, classes=3", sources=["keras2", "keras3-keras"],
    head="predictions")
add("convnext_tiny", "apps", convnext_tiny,
    "ConvNeXt (LayerScale, LayerNormalization, depthwise 7x7, GELU) with depths [1,1,2,1], "
    "dims [8,16,32,64], include_preprocessing, 32x32, classes=3; input 0..255",
    sources=["keras2", "keras3-h5"], head="convnext_tiny_head_dense", range="pixel")
add("regnetx002", "apps", regnetx002,
    "RegNetX (X blocks, group conv width 8) with depths [1,1,2,2], widths [8,16,32,48], "
    "include_preprocessing, 32x32, classes=3 (Keras 3 has no RegNet); input 0..255",
    sources=K2_ONLY, head="regnetx002_head_dense", range="pixel")
add("vgg_style", "apps", vgg_style,
    "VGG16 layer pattern (block1..3 conv/pool, flatten, fc1, fc2, predictions) at small width",
    head="predictions")


# ---------------------------------------------------------------- tf.* ops
# tf_keras records a TensorFlow function applied to Keras tensors as a
# TFOpLambda layer (config `function`: "math.multiply", "nn.relu", ...) and
# `x[...]` as SlicingOpLambda; Keras 3 has no such layers (see keras3_ops_*).

def tfop_arith(K, v):
    import tensorflow as tf
    L = K.layers
    x = L.Input((16,), name="x")
    h = L.Dense(16, name="dense_in")(x)
    a = h * 2.0 + 1.0
    b = tf.nn.relu(a) - h
    c = b / 3.0
    d = tf.maximum(c, -0.5) + tf.minimum(h, 0.25)
    e = tf.nn.sigmoid(d) * h
    f = tf.nn.tanh(e) + tf.nn.relu6(h) + tf.nn.elu(h) + tf.nn.gelu(h) + tf.nn.silu(h)
    g = tf.math.square(f) * 0.1 + tf.math.sqrt(tf.abs(f) + 1.0) - tf.exp(-tf.abs(h))
    g = g + tf.math.log1p(tf.abs(e)) + tf.nn.softplus(h) - tf.nn.leaky_relu(h, alpha=0.1)
    g = tf.clip_by_value(g, -3.0, 3.0) + 1.0 / (tf.abs(h) + 1.0) + tf.pow(tf.abs(h), 1.5)
    logits = L.Dense(4, name="logits")(g)
    out = tf.nn.softmax(logits)
    return K.Model(x, out, name="tfop_arith")


def _tfop_shapes(K, name, einsum):
    """tf.* shape functions on Keras tensors; `einsum` adds tf.einsum, which
    Keras 2 saves without its operands (that model cannot be reloaded)."""
    import tensorflow as tf
    L = K.layers
    x = L.Input((6, 8), name="seq")
    r = tf.reshape(x, (-1, 48))
    t = tf.transpose(x, perm=[0, 2, 1])
    c = tf.concat([x, x * 0.5], axis=-1)
    s = tf.stack([x, -x], axis=1)
    p1, p2 = tf.split(x, 2, axis=-1)
    sl = x[:, 1:, ::2]
    last = x[:, -1, :]
    red = (tf.reduce_mean(x, axis=1) + tf.reduce_max(x, axis=1)
           - tf.reduce_sum(x, axis=1) * 0.1 + tf.reduce_min(x, axis=1))
    mm = tf.matmul(x, t)
    ein = tf.einsum("bij,bkj->bik", x, x) if einsum else None
    sq = tf.squeeze(tf.expand_dims(last, axis=1), axis=1)
    tiled = tf.tile(p1, [1, 1, 2])
    pad = tf.pad(p2, [[0, 0], [1, 0], [0, 2]])
    feats = tf.concat([
        r, L.Flatten()(t), L.Flatten()(c), L.Flatten()(s), L.Flatten()(sl), red, sq,
        L.Flatten()(tiled), L.Flatten()(pad)], axis=-1)
    probs = L.Dense(3, activation="softmax", name="probs")(feats)
    gram = mm * 0.5 + ein * 0.25 if einsum else mm * 0.5
    return K.Model(x, [probs, gram], name=name)


def tfop_shapes(K, v):
    return _tfop_shapes(K, "tfop_shapes", einsum=True)


def tfop_shapes_loadable(K, v):
    return _tfop_shapes(K, "tfop_shapes_loadable", einsum=False)


def tfop_cnn(K, v):
    import tensorflow as tf
    L = K.layers
    x = L.Input((16, 16, 3), name="image")
    h = L.Conv2D(8, 3, padding="same", name="conv1")(x)
    h = tf.nn.relu6(h)
    h = tf.nn.max_pool2d(h, ksize=2, strides=2, padding="VALID")
    h = L.BatchNormalization(name="bn")(h)
    h2 = L.Conv2D(8, 1, name="conv2")(h)
    h = tf.nn.swish(h + h2)
    h = tf.image.resize(h, (4, 4), method="bilinear")
    h = tf.nn.avg_pool2d(h, ksize=2, strides=1, padding="SAME")
    pooled = tf.reduce_mean(h, axis=[1, 2])
    std = tf.math.reduce_std(h, axis=[1, 2])
    feats = tf.concat([pooled, std, tf.math.l2_normalize(pooled, axis=-1)], axis=-1)
    out = L.Dense(3, activation="softmax", name="probs")(feats)
    return K.Model(x, out, name="tfop_cnn")


def keras3_ops(K, v):
    """The Keras 3 counterpart of tfop_arith/tfop_shapes: keras.ops on
    Keras tensors (serialized as operation nodes of the functional graph)."""
    from keras import ops
    L = K.layers
    x = L.Input((6, 8), name="seq")
    h = L.Dense(8, name="dense_in")(x)
    a = ops.relu(h * 2.0 + 1.0) - h
    b = ops.sigmoid(a) * ops.tanh(h) + ops.maximum(h, 0.1) / 3.0
    t = ops.transpose(b, (0, 2, 1))
    mm = ops.matmul(b, t)
    ein = ops.einsum("bij,bkj->bik", x, b)
    r = ops.reshape(b, (-1, 48))
    sl = b[:, 1:, ::2]
    c = ops.concatenate([ops.mean(b, axis=1), ops.max(b, axis=1), ops.sum(b, axis=1)], axis=-1)
    feats = ops.concatenate([r, ops.reshape(sl, (-1, 20)), c], axis=-1)
    probs = L.Dense(3, activation="softmax", name="probs")(feats)
    return K.Model(x, [probs, mm + ein], name="keras3_ops")


add("tfop_arith", "tfops", tfop_arith,
    "Dense then tf.* arithmetic with scalars and tensors (multiply, add, subtract, truediv, "
    "maximum/minimum, pow, clip) and tf.nn activations (relu, relu6, elu, gelu, silu, sigmoid, "
    "tanh, softplus, leaky_relu, softmax)", sources=K2_ONLY)
add("tfop_shapes", "tfops", tfop_shapes,
    "tf.reshape/transpose/concat/stack/split/squeeze/expand_dims/tile/pad, slicing "
    "x[:, 1:, ::2] and x[:, -1, :], reductions, tf.matmul, tf.einsum; two outputs",
    sources=K2_ONLY, head="probs")
add("tfop_cnn", "tfops", tfop_cnn,
    "CNN with tf.nn.relu6/max_pool2d/avg_pool2d/swish, tf.image.resize, reduce_mean/"
    "reduce_std over H,W, l2_normalize, BatchNormalization", sources=K2_ONLY, head="probs")
add("keras3_ops", "tfops", keras3_ops,
    "Keras 3 functional model with keras.ops (relu, sigmoid, tanh, maximum, transpose, "
    "matmul, einsum, reshape, slicing, mean/max/sum, concatenate); two outputs",
    sources=["keras3-h5", "keras3-keras"], head="probs")


# ---------------------------------------------------------------- text/sequence

def _tokens(length, vocab, pad_from=None):
    def make(rng, batch):
        t = rng.integers(1, vocab, (batch, length)).astype(np.int32)
        if pad_from is not None and batch > 1:
            t[1, pad_from:] = 0
        return [t]
    return make


def _encoder_block(K, x, name, **call_kw):
    L = K.layers
    a = L.MultiHeadAttention(2, 8, name=name + "_mha")(x, x, **call_kw)
    x = L.LayerNormalization(epsilon=1e-5, name=name + "_ln1")(L.Add(name=name + "_add1")([x, a]))
    f = L.Dense(32, activation="gelu", name=name + "_ff1")(x)
    f = L.Dense(16, name=name + "_ff2")(f)
    return L.LayerNormalization(epsilon=1e-5, name=name + "_ln2")(L.Add(name=name + "_add2")([x, f]))


def transformer_encoder(K, v):
    L = K.layers
    tok = L.Input((12,), dtype="int32", name="tokens")
    x = L.Embedding(64, 16, name="tok_emb")(tok)
    x = _encoder_block(K, x, "enc1")
    x = _encoder_block(K, x, "enc2")
    p = L.GlobalAveragePooling1D(name="pool")(x)
    out = L.Dense(4, activation="softmax", name="probs")(p)
    return K.Model(tok, out, name="transformer_encoder")


def transformer_causal(K, v):
    L = K.layers
    tok = L.Input((10,), dtype="int32", name="tokens")
    x = L.Embedding(48, 16, name="tok_emb")(tok)
    x = _encoder_block(K, x, "dec1", use_causal_mask=True)
    out = L.Dense(48, activation="softmax", name="next_token")(x)
    return K.Model(tok, out, name="transformer_causal")


def transformer_padmask(K, v):
    L = K.layers
    tok = L.Input((12,), dtype="int32", name="tokens")
    x = L.Embedding(64, 16, mask_zero=True, name="tok_emb")(tok)
    x = _encoder_block(K, x, "enc1")
    p = L.GlobalAveragePooling1D(name="pool")(x)
    out = L.Dense(4, activation="softmax", name="probs")(p)
    return K.Model(tok, out, name="transformer_padmask")


def transformer_attention_mask(K, v):
    L = K.layers
    tok = L.Input((8,), dtype="int32", name="tokens")
    mask = L.Input((8, 8), dtype="int32", name="attention_mask")
    x = L.Embedding(40, 16, name="tok_emb")(tok)
    a = L.MultiHeadAttention(2, 8, name="mha")(x, x, attention_mask=mask)
    x = L.LayerNormalization(name="ln")(L.Add(name="add")([x, a]))
    out = L.Dense(3, activation="softmax", name="probs")(L.Flatten(name="flat")(x))
    return K.Model([tok, mask], out, name="transformer_attention_mask")


def _attention_mask_inputs(rng, batch):
    tok = rng.integers(1, 40, (batch, 8)).astype(np.int32)
    m = np.tril(np.ones((8, 8), np.int32))[None].repeat(batch, 0)
    if batch > 1:
        m[1, :, 5:] = 0  # row 1: keys from position 5 on are padding
        m[1, :, 0] = 1
    return [tok, m.astype(np.int32)]


def cross_attention(K, v):
    L = K.layers
    q = L.Input((6,), dtype="int32", name="query_tokens")
    c = L.Input((10,), dtype="int32", name="context_tokens")
    qe = L.Embedding(32, 16, name="query_emb")(q)
    ce = L.Embedding(32, 16, name="context_emb")(c)
    a = L.MultiHeadAttention(4, 4, value_dim=6, name="cross_mha")(qe, ce, ce)
    x = L.LayerNormalization(name="ln")(L.Add(name="add")([qe, a]))
    p = L.GlobalMaxPooling1D(name="pool")(x)
    out = L.Dense(5, activation="softmax", name="probs")(p)
    return K.Model([q, c], out, name="cross_attention")


def _two_token_inputs(rng, batch):
    return [rng.integers(1, 32, (batch, 6)).astype(np.int32),
            rng.integers(1, 32, (batch, 10)).astype(np.int32)]


def birnn_masked(K, v):
    L = K.layers
    tok = L.Input((12,), dtype="int32", name="tokens")
    x = L.Embedding(100, 12, mask_zero=True, name="emb")(tok)
    x = L.Bidirectional(L.LSTM(8, return_sequences=True), name="bilstm")(x)
    x = L.Bidirectional(L.GRU(8), merge_mode="ave", name="bigru")(x)
    out = L.Dense(4, activation="softmax", name="probs")(x)
    return K.Model(tok, out, name="birnn_masked")


def masking_rnn(K, v):
    L = K.layers
    x = L.Input((10, 4), name="series")
    h = L.Masking(mask_value=0.0, name="masking")(x)
    h = L.LSTM(8, return_sequences=True, name="lstm")(h)
    h = L.GRU(6, go_backwards=True, reset_after=False, return_sequences=True, name="gru")(h)
    h = L.SimpleRNN(5, name="rnn")(h)
    out = L.Dense(2, name="regression")(h)
    return K.Model(x, out, name="masking_rnn")


def _series_inputs(rng, batch):
    x = (rng.integers(-16, 17, (batch, 10, 4)) / 16.0).astype(np.float32)
    x[x == 0] = 0.0625
    if batch > 1:
        x[1, 6:] = 0.0  # masked tail
    return [x]


def conv1d_stack(K, v):
    L = K.layers
    tok = L.Input((24,), dtype="int32", name="tokens")
    x = L.Embedding(80, 8, name="emb")(tok)
    x = L.Conv1D(12, 3, padding="causal", dilation_rate=2, activation="relu", name="c1")(x)
    x = L.MaxPooling1D(2, name="p1")(x)
    x = L.Conv1D(12, 3, strides=2, padding="valid", name="c2")(x)
    x = L.BatchNormalization(name="bn")(x)
    x = L.Activation("relu", name="relu")(x)
    x = L.SeparableConv1D(16, 3, padding="same", name="sep")(x)
    x = L.UpSampling1D(2, name="up")(x)
    x = L.AveragePooling1D(2, strides=1, name="p2")(x)
    x = L.GlobalMaxPooling1D(name="gmp")(x)
    out = L.Dense(3, activation="softmax", name="probs")(x)
    return K.Model(tok, out, name="conv1d_stack")


def time_distributed(K, v):
    L = K.layers
    x = L.Input((4, 12, 12, 1), name="frames")
    h = L.TimeDistributed(L.Conv2D(4, 3, activation="relu"), name="td_conv")(x)
    h = L.TimeDistributed(L.MaxPooling2D(2), name="td_pool")(h)
    h = L.TimeDistributed(L.Flatten(), name="td_flat")(h)
    h = L.TimeDistributed(L.Dense(8, activation="tanh"), name="td_dense")(h)
    h = L.LSTM(8, name="lstm")(h)
    out = L.Dense(3, activation="softmax", name="probs")(h)
    return K.Model(x, out, name="time_distributed")


TEXT_SOURCES = ALL3
add("transformer_encoder", "text", transformer_encoder,
    "Embedding + 2 post-LN encoder blocks (MultiHeadAttention self-attention, Add, "
    "LayerNormalization, Dense gelu FFN) + GlobalAveragePooling1D + Dense softmax",
    sources=TEXT_SOURCES, head="probs", inputs=_tokens(12, 64))
add("transformer_causal", "text", transformer_causal,
    "decoder block: MultiHeadAttention(use_causal_mask=True), per-position softmax over 48 tokens",
    sources=TEXT_SOURCES, head="next_token", inputs=_tokens(10, 48))
add("transformer_padmask", "text", transformer_padmask,
    "Embedding(mask_zero=True) + encoder block: MultiHeadAttention takes the padding mask "
    "implicitly; row 1 zero-padded from position 7",
    sources=TEXT_SOURCES, head="probs", inputs=_tokens(12, 64, pad_from=7))
add("transformer_attention_mask", "text", transformer_attention_mask,
    "MultiHeadAttention with an explicit attention_mask input [B,8,8] (int32 0/1: causal, "
    "row 1 also masks keys 5..7)", sources=TEXT_SOURCES, head="probs",
    inputs=_attention_mask_inputs)
add("cross_attention", "text", cross_attention,
    "cross-attention: MultiHeadAttention(query=query tokens, value=key=context tokens, "
    "value_dim 6), two int32 inputs", sources=TEXT_SOURCES, head="probs",
    inputs=_two_token_inputs)
add("birnn_masked", "text", birnn_masked,
    "Embedding(mask_zero=True) + Bidirectional(LSTM, return_sequences) + "
    "Bidirectional(GRU, merge_mode='ave'); row 1 zero-padded from position 5",
    sources=TEXT_SOURCES, head="probs", inputs=_tokens(12, 100, pad_from=5))
add("masking_rnn", "text", masking_rnn,
    "Masking(0.0) + LSTM + GRU(go_backwards, reset_after=False) + SimpleRNN + Dense "
    "(regression); row 1 masked from step 6", sources=TEXT_SOURCES, inputs=_series_inputs)
add("conv1d_stack", "text", conv1d_stack,
    "Embedding + Conv1D(causal, dilation 2) + MaxPooling1D + Conv1D(stride 2) + "
    "BatchNormalization + SeparableConv1D + UpSampling1D + AveragePooling1D + "
    "GlobalMaxPooling1D", sources=TEXT_SOURCES, head="probs", inputs=_tokens(24, 80))
add("time_distributed", "text", time_distributed,
    "TimeDistributed(Conv2D/MaxPooling2D/Flatten/Dense) over 4 frames + LSTM",
    sources=TEXT_SOURCES, head="probs")


# ---------------------------------------------------------------- preprocessing

def prep_image(K, v):
    L = K.layers
    x = L.Input((20, 20, 3), name="image")
    h = L.Rescaling(1.0 / 127.5, offset=-1.0, name="rescale")(x)
    h = L.Resizing(16, 16, name="resize")(h)
    h = L.CenterCrop(12, 12, name="center_crop")(h)
    h = L.RandomFlip(name="random_flip")(h)
    h = L.RandomRotation(0.1, name="random_rotation")(h)
    h = L.RandomZoom(0.1, name="random_zoom")(h)
    h = L.RandomTranslation(0.1, 0.1, name="random_translation")(h)
    h = L.RandomContrast(0.2, name="random_contrast")(h)
    h = L.Normalization(mean=[0.1, -0.2, 0.05], variance=[0.5, 0.8, 1.3], name="norm")(h)
    h = L.Conv2D(8, 3, activation="relu", name="conv")(h)
    h = L.GlobalAveragePooling2D(name="gap")(h)
    out = L.Dense(3, activation="softmax", name="probs")(h)
    return K.Model(x, out, name="prep_image")


def prep_normalization(K, v):
    L = K.layers
    rng = np.random.default_rng(7)
    data = rng.normal([1.0, -2.0, 0.5, 3.0, 0.0], [0.5, 2.0, 1.0, 0.1, 3.0], (64, 5))
    norm = L.Normalization(axis=-1, name="norm_adapted")
    norm.adapt(data.astype(np.float32))
    x = L.Input((5,), name="features")
    h = norm(x)
    h = L.Dense(8, activation="relu", name="hidden")(h)
    h = L.Dense(3, name="scaled")(h)
    out = L.Normalization(mean=[10.0, -5.0, 0.5], variance=[4.0, 0.25, 9.0], invert=True,
                          name="denorm")(h)
    return K.Model(x, out, name="prep_normalization")


def prep_discretize(K, v):
    L = K.layers
    x = L.Input((6,), name="values")
    ids = L.Input((5,), dtype="int32", name="ids")
    d = L.Discretization(bin_boundaries=[-0.5, 0.0, 0.5], name="bins")(x)
    mh = L.CategoryEncoding(num_tokens=4, output_mode="multi_hot", name="multi_hot")(d)
    cnt = L.CategoryEncoding(num_tokens=4, output_mode="count", name="count")(d)
    hsh = L.Hashing(num_bins=16, name="hash")(ids)
    emb = L.Flatten(name="flat")(L.Embedding(16, 3, name="hash_emb")(hsh))
    h = L.Concatenate(name="concat")([mh, cnt, emb])
    out = L.Dense(3, activation="softmax", name="probs")(h)
    return K.Model([x, ids], out, name="prep_discretize")


def _discretize_inputs(rng, batch):
    return [(rng.integers(-16, 17, (batch, 6)) / 16.0).astype(np.float32),
            rng.integers(0, 1000, (batch, 5)).astype(np.int32)]


def prep_integer_lookup(K, v):
    L = K.layers
    ids = L.Input((6,), dtype="int32", name="ids")
    idx = L.IntegerLookup(vocabulary=[3, 7, 11, 19, 42, 99], name="lookup")(ids)
    enc = L.CategoryEncoding(num_tokens=7, output_mode="count", name="count")(idx)
    emb = L.GlobalAveragePooling1D(name="pool")(L.Embedding(7, 4, name="emb")(idx))
    h = L.Concatenate(name="concat")([enc, emb])
    out = L.Dense(3, activation="softmax", name="probs")(h)
    return K.Model(ids, out, name="prep_integer_lookup")


def _lookup_int_inputs(rng, batch):
    pool = np.array([3, 7, 11, 19, 42, 99, 5, 1000], np.int32)  # 5 and 1000 are OOV
    return [pool[rng.integers(0, len(pool), (batch, 6))]]


WORDS = ["the", "cat", "dog", "sat", "on", "mat", "a", "rug"]


def prep_string_lookup(K, v):
    L = K.layers
    words = L.Input((5,), dtype="string", name="words")
    idx = L.StringLookup(vocabulary=WORDS[:6], name="lookup")(words)
    emb = L.GlobalAveragePooling1D(name="pool")(L.Embedding(7, 4, name="emb")(idx))
    hsh = L.Hashing(num_bins=8, name="hash")(words)
    enc = L.CategoryEncoding(num_tokens=8, output_mode="count", name="count")(hsh)
    h = L.Concatenate(name="concat")([emb, enc])
    out = L.Dense(3, activation="softmax", name="probs")(h)
    return K.Model(words, out, name="prep_string_lookup")


def _string_inputs(rng, batch):
    return [np.array(WORDS, dtype=object)[rng.integers(0, len(WORDS), (batch, 5))]]


add("prep_image", "prep", prep_image,
    "Rescaling(1/127.5, -1), Resizing(16,16), CenterCrop(12,12), RandomFlip/Rotation/Zoom/"
    "Translation/Contrast (identity at inference), Normalization(mean, variance), Conv2D; "
    "input 0..255", head="probs", range="pixel")
add("prep_normalization", "prep", prep_normalization,
    "Normalization adapted on seeded data, Dense, Normalization(invert=True) (regression)")
add("prep_discretize", "prep", prep_discretize,
    "Discretization(bin_boundaries) + CategoryEncoding(multi_hot, count); Hashing(16) on int "
    "ids + Embedding", head="probs", inputs=_discretize_inputs)
add("prep_integer_lookup", "prep", prep_integer_lookup,
    "IntegerLookup(vocabulary) with OOV ids + CategoryEncoding(count) + Embedding",
    head="probs", inputs=_lookup_int_inputs)
add("prep_string_lookup", "prep", prep_string_lookup,
    "string input: StringLookup(vocabulary) + Embedding; Hashing(8) on strings + "
    "CategoryEncoding(count); io.json inputs have dtype \"string\"",
    head="probs", inputs=_string_inputs)


# Added after the first batch: appended so the seeds above (by position) stay.
add("inception_v3_style", "apps", inception_style,
    "InceptionV3 module kinds at small width: conv2d_bn (Conv2D no bias + BN scale=False + "
    "relu), mixed0 branches with AveragePooling2D(3, strides 1, same), grid reduction, "
    "factorized 1x7/7x1 convs, Concatenate; 35x35 (InceptionV3 itself: 21.8M params, no width "
    "knob)", sources=["keras2", "keras3-h5"], head="predictions")
add("xception_style", "apps", xception_style,
    "Xception entry/middle-flow blocks at small width: SeparableConv2D + BN, strided 1x1 conv "
    "shortcut, MaxPooling2D(3, 2, same), residual Add; 32x32 (Xception itself: 20.8M params)",
    sources=["keras2", "keras3-keras"], head="predictions")

# Source files not committed (fixtures/corpus/keras-src has a 15 MB budget; HDF5
# adds ~1 KB per weight, so the BatchNormalization-heavy applications' sources
# are about twice their weights). Every family keeps at least one source; the
# ones below are regenerated by `gen_keras.py --only NAME` (deterministic for
# `.h5`).
SOURCE_NOT_KEPT = {
    "mobilenet_v3_large", "efficientnet_b1", "efficientnet_b2", "efficientnet_v2_b0",
    "resnet50_v2", "keras3zip_mobilenet_v3_small", "keras3zip_efficientnet_v2_b0",
    "keras3h5_densenet121", "keras3zip_nasnet_mobile", "keras3h5_efficientnet_b0",
    "keras3h5_mobilenet", "keras3zip_resnet50_v2", "keras3h5_resnet50", "keras3zip_resnet50",
}


# Added after the first corpus: appended (with their seeds fixed) so that the
# models above keep their seeds.
add("tfop_shapes_loadable", "tfops", tfop_shapes_loadable,
    "tfop_shapes without tf.einsum (Keras 2 does not save its operands): reshape/transpose/"
    "concat/stack/split/squeeze/expand_dims/tile/pad, slicing, reductions, tf.matmul",
    sources=K2_ONLY, head="probs", seed=1017)


def prep_discretization(K, v):
    L = K.layers
    x = L.Input((6,), name="values")
    d = L.Discretization(bin_boundaries=[-0.5, 0.0, 0.5], name="bins")(x)
    mh = L.CategoryEncoding(num_tokens=4, output_mode="multi_hot", name="multi_hot")(d)
    cnt = L.CategoryEncoding(num_tokens=4, output_mode="count", name="count")(d)
    oh = L.Discretization(bin_boundaries=[-0.25, 0.25], output_mode="one_hot", name="bins_oh")(
        L.Dense(1, name="first")(x))
    h = L.Concatenate(name="concat")([mh, cnt, oh])
    out = L.Dense(3, activation="softmax", name="probs")(h)
    return K.Model(x, out, name="prep_discretization")


add("prep_discretization", "prep", prep_discretization,
    "Discretization(bin_boundaries) in int mode + CategoryEncoding(multi_hot, count), and "
    "Discretization(output_mode=one_hot) on a [b, 1] Dense output", head="probs", seed=1036)
