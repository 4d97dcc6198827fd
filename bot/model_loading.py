"""Loading Rasa's TensorFlow components in half the time.

To load DIET or the ResponseSelector, Rasa 3.6 fits the empty model on one example so that its
weights exist before reading them from the model file (``RasaModel.load``). That fit is traced
into a TensorFlow graph, gradients included: ~5 s per component on 2 cores, for a graph that is
used once and thrown away. Building the weights with an eager (untraced) step instead gives the
same weights and predictions (checked on all eval questions) and roughly halves ``Agent.load``
(21 s → 10 s for the shipped model). Prediction is traced as before.
"""

from __future__ import annotations

from typing import Any

# Rasa's own RasaModel.load, once replaced
traced_load: Any = None


def build_weights_eagerly() -> None:
    """Make ``RasaModel.load`` build the weights without tracing; idempotent."""
    global traced_load
    if traced_load is not None:
        return
    import tensorflow as tf
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
    from rasa.utils.tensorflow.models import RasaModel

    traced_load = RasaModel.load.__func__

    def load(cls, model_file_name: str, model_data_example: Any, predict_data_example: Any = None,
             finetune_mode: bool = False, *args: Any, **kwargs: Any) -> RasaModel:
        if finetune_mode:  # training goes on: keep Rasa's own way
            return traced_load(cls, model_file_name, model_data_example, predict_data_example, finetune_mode, *args, **kwargs)
        config = kwargs.get("config", {})
        model = cls(*args, **kwargs)
        model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)), run_eagerly=True)
        model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
        model.load_weights(model_file_name)
        model.run_eagerly = bool(config.get(RUN_EAGERLY))
        if predict_data_example:
            model.run_inference(predict_data_example)  # trace the prediction graph now, not on a user
        return model

    RasaModel.load = classmethod(load)
