"""The Gradio app: wiring and handlers (app.py), escaped HTML/Markdown rendering (render.py), and
thumbs up/down feedback (feedback.py)."""
