"""ai_text"""
